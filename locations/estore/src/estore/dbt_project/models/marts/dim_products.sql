{{ config(
    materialized='incremental',
    unique_key='product_id',
    incremental_strategy=upsert_strategy(),
    on_schema_change='sync_all_columns'
) }}

-- Products with the brand and category they are most often seen with. Incremental: the
-- products that appear in rows loaded since the last run are recomputed from all their events.

with

events as (

    select * from {{ ref('fct_events') }}
    {%- if is_incremental() %}
    where product_id in (select product_id from {{ ref('fct_events') }} {{ loaded_since() }})
    {%- endif %}

),

attributes as (

    select
        product_id,
        brand,
        category_id,
        count(*) as frequency,
        max(event_date) as last_seen_date,
        avg(price) as avg_price,
        max(_loaded_at) as _loaded_at
    from events
    group by product_id, brand, category_id

),

ranked as (

    select
        *,
        row_number() over (
            partition by product_id order by frequency desc, category_id, brand
        ) as rank_in_product,
        max(last_seen_date) over (partition by product_id) as product_last_seen_date,
        max(_loaded_at) over (partition by product_id) as product_loaded_at
    from attributes

)

select
    ranked.product_id,
    ranked.brand,
    ranked.category_id,
    categories.category_code,
    categories.category_lvl_1,
    categories.category_lvl_2,
    categories.category_lvl_3,
    categories.category_lvl_4,
    round(ranked.avg_price, 2) as avg_price,
    ranked.product_last_seen_date as last_seen_date,
    ranked.product_loaded_at as _loaded_at
from ranked
left join {{ ref('dim_categories') }} as categories
    on ranked.category_id = categories.category_id
where ranked.rank_in_product = 1
