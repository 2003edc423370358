{#- Small SQL helpers that read the same on DuckDB and BigQuery. -#}

{% macro safe_ratio(numerator, denominator, precision=4) -%}
    round(cast({{ numerator }} as {{ dbt.type_float() }}) / nullif({{ denominator }}, 0), {{ precision }})
{%- endmacro %}

{% macro as_string(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- The n-th dot-separated level of a category code, null when absent. -#}
{% macro category_level(column, level) -%}
    nullif({{ dbt.split_part(column, "'.'", level) }}, '')
{%- endmacro %}

{#- Median, exact on DuckDB, approximate on BigQuery (which has no exact aggregate). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'estore')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro bigquery__median(expression) -%}
    approx_quantiles({{ expression }}, 100)[offset(50)]
{%- endmacro %}

{#- A stable key from several columns: the same event always gets the same key. -#}
{% macro row_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(" ~ as_string(column) ~ ", '~')") -%}
    {%- endfor -%}
    {{ dbt.hash(parts | join(" || '|' || ")) }}
{%- endmacro %}
