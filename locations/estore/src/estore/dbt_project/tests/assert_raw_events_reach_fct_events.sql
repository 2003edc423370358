{{ config(meta={"dagster": {"ref": {"name": "fct_events"}}}) }}

-- Every event that reaches staging (raw rows, typed and deduplicated) is in fct_events,
-- whenever it was loaded and whatever its event date. Returns the missing events; no rows
-- means nothing was lost on the way to the marts.
select staged.event_id, staged.event_time, staged._loaded_at
from {{ ref('stg_events') }} as staged
left join {{ ref('fct_events') }} as fact
    on staged.event_id = fact.event_id
where fact.event_id is null
