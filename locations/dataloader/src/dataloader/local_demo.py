"""The demo source database that local runs load from (``demo_source`` on the local cluster).

``customers`` (full loads) and ``orders`` (incremental on ``updated_at``); every seeding
call after the first appends a few new orders, so incremental loads have work to do.
"""

import psycopg

_SCHEMA = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id integer PRIMARY KEY,
    name        text NOT NULL,
    country     text,
    created_at  timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (customer_id),
    amount      numeric(12, 2) NOT NULL,
    paid        boolean NOT NULL,
    updated_at  timestamptz NOT NULL
);
"""

_CUSTOMERS = """
INSERT INTO customers
SELECT i, 'Customer ' || i, (ARRAY['NL', 'DE', 'FR', NULL])[1 + i % 4],
       timestamptz '2025-01-01' + i * interval '1 hour'
FROM generate_series(1, 500) AS i
ON CONFLICT DO NOTHING
"""

_ORDERS = """
INSERT INTO orders (customer_id, amount, paid, updated_at)
SELECT 1 + (i * 7) %% 500, round((random() * 500)::numeric, 2), i %% 3 <> 0,
       coalesce((SELECT max(updated_at) FROM orders), timestamptz '2025-06-01')
       + i * interval '1 minute'
FROM generate_series(1, %s) AS i
"""


def seed_demo_source(dsn: str, initial_orders: int = 5_000, new_orders: int = 50) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(_SCHEMA)
        conn.execute(_CUSTOMERS)
        has_orders = conn.execute("SELECT EXISTS (SELECT 1 FROM orders)").fetchone()
        conn.execute(_ORDERS, (new_orders if has_orders and has_orders[0] else initial_orders,))
