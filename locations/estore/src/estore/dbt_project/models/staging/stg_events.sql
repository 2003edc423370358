-- Typed, deduplicated events. A file loaded twice upstream, or an event repeated within a
-- file, yields one row here; products seen under two brands are dropped as data errors.
with

source as (

    select * from {{ source('estore_raw', 'events') }}

),

typed as (

    select
        cast(event_time as {{ dbt.type_timestamp() }}) as event_time,
        lower(trim(event_type)) as event_type,
        {{ as_string('product_id') }} as product_id,
        {{ as_string('category_id') }} as category_id,
        nullif(lower(trim(category_code)), '') as category_code,
        nullif(lower(trim(brand)), '') as brand,
        cast(price as {{ dbt.type_numeric() }}) as price,
        {{ as_string('user_id') }} as user_id,
        nullif(trim(user_session), '') as user_session,
        _loaded_at
    from source

),

deduplicated as (

    select *
    from typed
    -- The first load of an event is the one kept: a re-delivery changes nothing downstream.
    qualify row_number() over (
        partition by event_time, event_type, product_id, user_id, user_session
        order by _loaded_at
    ) = 1

),

multi_brand_products as (

    select product_id
    from deduplicated
    where brand is not null
    group by product_id
    having count(distinct brand) > 1

)

select
    {{ row_key(['event_time', 'event_type', 'product_id', 'user_id', 'user_session']) }} as event_id,
    event_time,
    cast(event_time as date) as event_date,
    event_type,
    product_id,
    category_id,
    category_code,
    brand,
    price,
    user_id,
    user_session,
    _loaded_at
from deduplicated
where product_id is not null
    and user_session is not null
    and product_id not in (select multi_brand_products.product_id from multi_brand_products)
