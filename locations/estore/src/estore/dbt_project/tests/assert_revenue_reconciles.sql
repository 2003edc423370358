{{ config(meta={"dagster": {"ref": {"name": "dim_users"}}}) }}

-- Revenue is the same whichever mart it is summed from: events, sessions and users agree
-- (to the cent). Returns the mismatching totals; no rows means the marts reconcile.
with

events as (
    select coalesce(round(sum(revenue), 2), 0) as total from {{ ref('fct_events') }}
),

sessions as (
    select coalesce(round(sum(total_revenue), 2), 0) as total from {{ ref('fct_sessions') }}
),

users as (
    select coalesce(round(sum(total_revenue), 2), 0) as total from {{ ref('dim_users') }}
)

select
    events.total as events_revenue,
    sessions.total as sessions_revenue,
    users.total as users_revenue
from events, sessions, users
where abs(events.total - sessions.total) > 0.01
    or abs(events.total - users.total) > 0.01
