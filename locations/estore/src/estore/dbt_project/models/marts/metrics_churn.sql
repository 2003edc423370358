-- Cohort churn: customers whose first purchase is at least `cohort_observation_window_days`
-- before the end of the data, and whether they bought again after that window. Overall and
-- by first-purchase month.

with

customers as (

    select * from {{ ref('dim_users') }}
    where purchase_count > 0

),

data_end as (

    select max(first_purchase_date) as dataset_end from customers

),

cohort as (

    select
        customers.user_id,
        customers.first_purchase_date,
        case
            when customers.purchase_count = 1 then 1
            when {{ dbt.datediff('customers.first_purchase_date', 'customers.last_purchase_date', 'day') }}
                > {{ var('cohort_observation_window_days') }} then 0
            else 1
        end as is_churned_cohort
    from customers
    cross join data_end
    where {{ dbt.datediff('customers.first_purchase_date', 'data_end.dataset_end', 'day') }}
        >= {{ var('cohort_observation_window_days') }}

),

overall as (

    select
        'cohort_overall' as metric_level,
        'all_eligible_cohorts' as time_period,
        count(*) as total_customers,
        sum(is_churned_cohort) as churned_customers,
        {{ safe_ratio('sum(is_churned_cohort)', 'count(*)') }} as churn_rate,
        min(first_purchase_date) as cohort_start,
        max(first_purchase_date) as cohort_end
    from cohort
    having count(*) > 0

),

by_month as (

    select
        'by_cohort_month' as metric_level,
        {{ as_string("cast(" ~ dbt.date_trunc('month', 'first_purchase_date') ~ " as date)") }} as time_period,
        count(*) as total_customers,
        sum(is_churned_cohort) as churned_customers,
        {{ safe_ratio('sum(is_churned_cohort)', 'count(*)') }} as churn_rate,
        min(first_purchase_date) as cohort_start,
        max(first_purchase_date) as cohort_end
    from cohort
    group by 2

)

select * from overall
union all
select * from by_month
