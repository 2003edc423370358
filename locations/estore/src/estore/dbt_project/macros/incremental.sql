{#- Rows an incremental model reads on an incremental run: those dated no earlier than the
    newest date it already holds minus `incremental_lookback_days`. A full refresh reads all. -#}
{% macro incremental_window(date_column, this_date_column=none) -%}
    {%- if is_incremental() %}
    where {{ date_column }} >= (
        select cast({{ dbt.dateadd('day', -var('incremental_lookback_days'), 'max(' ~ (this_date_column or date_column) ~ ')') }} as date)
        from {{ this }}
    )
    {%- endif %}
{%- endmacro %}

{#- Each warehouse's own way of upserting by key. -#}
{% macro upsert_strategy() -%}
    {{ return('merge' if target.type == 'bigquery' else 'delete+insert') }}
{%- endmacro %}
