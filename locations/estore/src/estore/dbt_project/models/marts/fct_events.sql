{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy=upsert_strategy(),
    partition_by=({'field': 'event_date', 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none),
    cluster_by=(['user_id', 'event_type'] if target.type == 'bigquery' else none),
    on_schema_change='sync_all_columns'
) }}

-- One row per event with funnel flags. Incremental: each run reads the staging rows loaded
-- since its newest load (see loaded_since), whatever their event dates, and upserts by
-- event_id, so a rerun changes nothing. assert_raw_events_reach_fct_events checks no event
-- is left out.

with

events as (

    select * from {{ ref('stg_events') }}
    {{ loaded_since() }}

)

select
    event_id,
    event_time,
    event_date,
    event_type,
    user_id,
    user_session,
    product_id,
    brand,
    category_id,
    category_code,
    price,
    case when event_type = 'view' then 1 else 0 end as is_view,
    case when event_type = 'cart' then 1 else 0 end as is_cart_add,
    case when event_type = 'remove_from_cart' then 1 else 0 end as is_cart_remove,
    case when event_type = 'purchase' then 1 else 0 end as is_purchase,
    case when event_type = 'purchase' then price end as revenue,
    _loaded_at
from events
