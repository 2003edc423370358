-- Funnel conversion between sessions that viewed, carted and purchased: overall and per day.

with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

overall as (

    select
        'overall' as metric_level,
        'all_time' as time_period,
        count(*) as total_sessions,
        sum(reached_view) as sessions_with_view,
        sum(reached_cart) as sessions_with_cart,
        sum(reached_purchase) as sessions_with_purchase,
        {{ safe_ratio('sum(reached_cart)', 'sum(reached_view)') }} as view_to_cart_rate,
        {{ safe_ratio('sum(reached_purchase)', 'sum(reached_cart)') }} as cart_to_purchase_rate,
        {{ safe_ratio('sum(reached_purchase)', 'sum(reached_view)') }} as view_to_purchase_rate,
        round(sum(total_revenue), 2) as total_revenue,
        round(avg(case when reached_purchase = 1 then total_revenue end), 2) as avg_order_value
    from sessions

),

daily as (

    select
        'daily' as metric_level,
        {{ as_string('session_start_date') }} as time_period,
        count(*) as total_sessions,
        sum(reached_view) as sessions_with_view,
        sum(reached_cart) as sessions_with_cart,
        sum(reached_purchase) as sessions_with_purchase,
        {{ safe_ratio('sum(reached_cart)', 'sum(reached_view)') }} as view_to_cart_rate,
        {{ safe_ratio('sum(reached_purchase)', 'sum(reached_cart)') }} as cart_to_purchase_rate,
        {{ safe_ratio('sum(reached_purchase)', 'sum(reached_view)') }} as view_to_purchase_rate,
        round(sum(total_revenue), 2) as total_revenue,
        round(avg(case when reached_purchase = 1 then total_revenue end), 2) as avg_order_value
    from sessions
    group by session_start_date

)

select * from overall
union all
select * from daily
