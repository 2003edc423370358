-- Recency, frequency and monetary scores (1-5 each) for every user with a purchase, and the
-- segment they fall in. Frequency uses percentile bands so ties share a score.

with

customers as (

    select
        user_id,
        days_since_last_purchase,
        purchase_count,
        total_revenue,
        percent_rank() over (order by purchase_count) as frequency_percentile
    from {{ ref('dim_users') }}
    where purchase_count > 0

),

scored as (

    select
        user_id,
        ntile(5) over (order by days_since_last_purchase desc, user_id) as recency_score,
        case
            when frequency_percentile < 0.2 then 1
            when frequency_percentile < 0.4 then 2
            when frequency_percentile < 0.6 then 3
            when frequency_percentile < 0.8 then 4
            else 5
        end as frequency_score,
        ntile(5) over (order by total_revenue, user_id) as monetary_score
    from customers

)

select
    user_id,
    recency_score,
    frequency_score,
    monetary_score,
    recency_score + frequency_score + monetary_score as rfm_score,
    case
        when recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4 then 'Champions'
        when recency_score <= 2 and frequency_score >= 4 and monetary_score >= 4 then 'At Risk'
        when recency_score >= 4 and frequency_score >= 3 then 'Loyal Customers'
        when recency_score >= 3 and frequency_score >= 3 then 'Potential Loyalists'
        when recency_score >= 4 and frequency_score < 3 then 'Recent Customers'
        when recency_score = 3 and frequency_score < 3 then 'Promising'
        when recency_score <= 2 and frequency_score >= 3 then 'About To Sleep'
        when recency_score <= 2 and frequency_score <= 2 and monetary_score <= 2 then 'Lost'
        else 'Needs Attention'
    end as rfm_segment
from scored
