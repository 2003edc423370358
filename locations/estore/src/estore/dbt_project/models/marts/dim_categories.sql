{{ config(
    materialized='incremental',
    unique_key='category_id',
    incremental_strategy=upsert_strategy(),
    on_schema_change='sync_all_columns'
) }}

-- Product categories with their code split into levels (electronics.audio.headphone ->
-- electronics / audio / headphone).

with

events as (

    select * from {{ ref('fct_events') }}
    {{ incremental_window('event_date', 'last_seen_date') }}

),

categories as (

    select
        category_id,
        max(category_code) as category_code,
        max(event_date) as last_seen_date
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
    last_seen_date
from categories
