{#- Rows an incremental model reads on an incremental run: those loaded since the newest load
    it already holds, less `loaded_at_overlap_minutes` (rows are upserted by key, so reading
    a row twice changes nothing). Load time, not event time: a file delivered late, or fixed
    and re-delivered days later, is read whatever the dates of its events. A full refresh,
    or a table whose rows carry no load time yet, reads everything. -#}
{% macro loaded_since(loaded_at_column='_loaded_at') -%}
    {%- if is_incremental() %}
    where {{ loaded_at_column }} > (
        select {{ minutes_before('max(_loaded_at)', var('loaded_at_overlap_minutes')) }}
        from {{ this }}
    )
    or (select max(_loaded_at) from {{ this }}) is null
    {%- endif %}
{%- endmacro %}

{% macro minutes_before(timestamp, minutes) -%}
    {{ return(adapter.dispatch('minutes_before', 'estore')(timestamp, minutes)) }}
{%- endmacro %}

{% macro default__minutes_before(timestamp, minutes) -%}
    {{ timestamp }} - interval '{{ minutes }}' minute
{%- endmacro %}

{% macro bigquery__minutes_before(timestamp, minutes) -%}
    timestamp_sub({{ timestamp }}, interval {{ minutes }} minute)
{%- endmacro %}

{#- Each warehouse's own way of upserting by key. -#}
{% macro upsert_strategy() -%}
    {{ return('merge' if target.type == 'bigquery' else 'delete+insert') }}
{%- endmacro %}
