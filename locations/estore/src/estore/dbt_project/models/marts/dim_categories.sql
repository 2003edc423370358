{{ config(
    materialized='incremental',
    unique_key='category_id',
    incremental_strategy=upsert_strategy(),
    on_schema_change='sync_all_columns'
) }}

-- Product categories with their code split into levels (electronics.audio.headphone ->
-- electronics / audio / headphone). Incremental: the categories that appear in rows loaded
-- since the last run are recomputed from all their events.

with

events as (

    select * from {{ ref('fct_events') }}
    {%- if is_incremental() %}
    where category_id in (select category_id from {{ ref('fct_events') }} {{ loaded_since() }})
    {%- endif %}

),

categories as (

    select
        category_id,
        max(category_code) as category_code,
        max(event_date) as last_seen_date,
        max(_loaded_at) as _loaded_at
    from events
    where category_id is not null
    group by category_id

)

select
    category_id,
    category_code,
    {{ category_level('category_code', 1) }} as category_lvl_1,
    {{ category_level('category_code', 2) }} as category_lvl_2,
    {{ category_level('category_code', 3) }} as category_lvl_3,
    {{ category_level('category_code', 4) }} as category_lvl_4,
    last_seen_date,
    _loaded_at
from categories
