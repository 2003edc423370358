-- One row per RFM segment: its size, share of customers, revenue and churn.

with

customers as (

    select
        users.user_id,
        users.session_count,
        users.purchase_count,
        users.total_revenue,
        users.avg_order_value,
        users.customer_lifespan_days,
        users.is_churned,
        rfm.rfm_score,
        rfm.rfm_segment
    from {{ ref('dim_users') }} as users
    inner join {{ ref('dim_user_rfm') }} as rfm on users.user_id = rfm.user_id

),

totals as (

    select count(*) as all_customers from customers

)

select
    customers.rfm_segment,
    count(*) as customer_count,
    {{ safe_ratio('count(*)', 'max(totals.all_customers)') }} as customer_share,
    round(avg(customers.rfm_score), 2) as avg_rfm_score,
    round(avg(customers.session_count), 2) as avg_session_count,
    round(avg(customers.purchase_count), 2) as avg_purchase_count,
    round(avg(customers.avg_order_value), 2) as avg_order_value,
    round(avg(customers.customer_lifespan_days), 2) as avg_lifespan_days,
    round(sum(customers.total_revenue), 2) as total_revenue,
    round(avg(customers.total_revenue), 2) as avg_revenue,
    {{ median('customers.total_revenue') }} as median_revenue,
    sum(customers.is_churned) as churned_customers,
    {{ safe_ratio('sum(customers.is_churned)', 'count(*)') }} as churn_rate
from customers
cross join totals
group by customers.rfm_segment
