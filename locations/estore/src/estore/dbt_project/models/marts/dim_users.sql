-- One row per user: activity, revenue, lifetime and churn status. Recency is measured against
-- the newest event in the data (not today), so a replay of old files classifies the same way.

with

events as (

    select * from {{ ref('fct_events') }}

),

data_end as (

    select max(event_date) as max_date from events

),

sessions as (

    select user_id, count(*) as session_count
    from {{ ref('fct_sessions') }}
    group by user_id

),

activity as (

    select
        user_id,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        count(*) as event_count,
        sum(is_purchase) as purchase_count,
        coalesce(round(sum(revenue), 2), 0) as total_revenue,
        round(avg(revenue), 2) as avg_order_value,
        min(case when is_purchase = 1 then event_date end) as first_purchase_date,
        max(case when is_purchase = 1 then event_date end) as last_purchase_date
    from events
    group by user_id

),

measured as (

    select
        activity.*,
        coalesce(sessions.session_count, 0) as session_count,
        case
            when activity.purchase_count > 0 then greatest(
                {{ dbt.datediff('activity.first_purchase_date', 'activity.last_purchase_date', 'day') }}, 1
            )
        end as customer_lifespan_days,
        {{ dbt.datediff('activity.last_event_date', 'data_end.max_date', 'day') }} as days_since_last_activity,
        {{ dbt.datediff('activity.last_purchase_date', 'data_end.max_date', 'day') }} as days_since_last_purchase
    from activity
    cross join data_end
    left join sessions on activity.user_id = sessions.user_id

)

select
    user_id,
    first_event_time,
    last_event_time,
    first_event_date,
    last_event_date,
    session_count,
    event_count,
    purchase_count,
    total_revenue,
    total_revenue as customer_ltv,
    avg_order_value,
    first_purchase_date,
    last_purchase_date,
    customer_lifespan_days,
    days_since_last_activity,
    days_since_last_purchase,
    case
        when purchase_count = 0 then 'prospect'
        when days_since_last_purchase > {{ var('churn_threshold_days') }}
            and days_since_last_activity > {{ var('churn_threshold_days') }} then 'churned'
        when days_since_last_purchase > {{ var('at_risk_threshold_days') }} then 'at_risk'
        when days_since_last_purchase > {{ var('declining_threshold_days') }} then 'declining'
        else 'active'
    end as activity_status,
    case
        when purchase_count > 0
            and days_since_last_purchase > {{ var('churn_threshold_days') }}
            and days_since_last_activity > {{ var('churn_threshold_days') }} then 1
        else 0
    end as is_churned,
    purchase_count > 0 as has_purchase_history,
    case
        when session_count = 0 then 'missing_sessions'
        when event_count > session_count * {{ var('session_outlier_ratio') }} then 'anomalous_session_ratio'
    end as data_quality_flag
from measured
