{{ config(
    partition_by=({'field': 'session_start_date', 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none),
    cluster_by=(['user_id'] if target.type == 'bigquery' else none)
) }}

-- Sessions with an inactivity timeout: the storefront reuses session ids for weeks, so a gap
-- longer than `session_timeout_seconds` starts a new session (`<id>_timeout_<n>`).

with

events as (

    select
        event_time,
        user_session,
        user_id,
        product_id,
        is_view,
        is_cart_add,
        is_cart_remove,
        is_purchase,
        revenue,
        {{ dbt.datediff(
            'lag(event_time) over (partition by user_session order by event_time)',
            'event_time',
            'second'
        ) }} as seconds_since_previous
    from {{ ref('fct_events') }}

),

numbered as (

    select
        *,
        sum(case when seconds_since_previous > {{ var('session_timeout_seconds') }} then 1 else 0 end)
            over (
                partition by user_session
                order by event_time
                rows between unbounded preceding and current row
            ) as timeout_number
    from events

),

split as (

    select
        case
            when timeout_number = 0 then user_session
            else {{ dbt.concat(['user_session', "'_timeout_'", as_string('timeout_number')]) }}
        end as session_id,
        *
    from numbered

),

sessions as (

    select
        session_id,
        max(user_id) as user_id,
        min(event_time) as session_start_time,
        cast(min(event_time) as date) as session_start_date,
        max(event_time) as session_end_time,
        {{ dbt.datediff('min(event_time)', 'max(event_time)', 'second') }} as session_length_seconds,
        count(*) as event_count,
        count(distinct product_id) as unique_product_count,
        sum(is_view) as view_count,
        sum(is_cart_add) as cart_additions,
        sum(is_cart_remove) as cart_removals,
        sum(is_purchase) as purchase_count,
        coalesce(sum(revenue), 0) as total_revenue
    from split
    group by session_id

)

select
    *,
    case when view_count > 0 then 1 else 0 end as reached_view,
    case when cart_additions > 0 then 1 else 0 end as reached_cart,
    case when purchase_count > 0 then 1 else 0 end as reached_purchase,
    case
        when purchase_count > 0 then 'purchase'
        when cart_additions > 0 then 'cart'
        when view_count > 0 then 'view'
        else 'no_activity'
    end as funnel_stage,
    case
        when session_length_seconds <= 60 then 'very_short'
        when session_length_seconds <= 300 then 'short'
        when session_length_seconds <= 600 then 'medium'
        else 'long'
    end as session_duration_bucket
from sessions
