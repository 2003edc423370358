"""Reads a Postgres table as a stream of Arrow record batches.

Column types come from the catalog (psycopg); the rows come through the ADBC Postgres
driver, which copies them out in Postgres' binary COPY format and decodes them straight into
Arrow: no text parsing in Python, one bounded batch in memory at a time.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import adbc_driver_postgresql.dbapi as adbc
import psycopg
import pyarrow as pa
from adbc_driver_postgresql import StatementOptions
from psycopg import sql

from table_loader.request import LoadError, LoadRequest

_SIMPLE_TYPES: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}
# Types the driver decodes into their Arrow type itself; every other type is cast to text in
# the query. Numerics too: Postgres prints them faster than the client decodes them, and
# Arrow parses that text into decimals (the client's CPU is the scarce one).
_DRIVER_TYPES = frozenset(_SIMPLE_TYPES) | {"text", "varchar", "bpchar"}
# Field metadata key for a column's Postgres type, used to build the query.
_POSTGRES_TYPE = b"postgres.type"
_COLUMNS = """
SELECT column_name, udt_name, numeric_precision, numeric_scale
FROM information_schema.columns
WHERE table_schema = %s AND table_name = %s
ORDER BY ordinal_position
"""


def arrow_type(udt_name: str, precision: int | None, scale: int | None) -> pa.DataType:
    """The Arrow type a Postgres column loads as; text for anything without a match."""
    if udt_name == "numeric" and precision is not None and precision <= 38:
        return pa.decimal128(precision, scale or 0)
    return _SIMPLE_TYPES.get(udt_name, pa.string())


def _password(request: LoadRequest) -> str | None:
    """The password from db_config, or from the variable its ``password_env`` names."""
    config: Mapping[str, Any] = request.db_config
    password = config.get("password")
    if not password and config.get("password_env"):
        password = os.environ.get(str(config["password_env"]))
        if password is None:
            raise LoadError(
                f"the password variable {config['password_env']} is not set for "
                f"{request.control_key}"
            )
    return str(password) if password else None


def _where(request: LoadRequest) -> str:
    config = request.db_config
    return f"{config['host']}:{config['port']}/{config['database']}"


@contextmanager
def connect(request: LoadRequest) -> Iterator[psycopg.Connection[Any]]:
    """A read-only connection to the source's catalog; errors name the server, never the
    password."""
    config: Mapping[str, Any] = request.db_config
    password = _password(request)
    where = _where(request)
    try:
        conn = psycopg.connect(
            host=str(config["host"]),
            port=int(config["port"]),
            dbname=str(config["database"]),
            user=str(config["user"]),
            password=password or None,
            sslmode=str(config.get("sslmode", "prefer")),
            connect_timeout=int(config.get("connect_timeout", 10)),
            application_name="table-loader",
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise LoadError(f"could not connect to the source {where}: {reason}") from None
    with conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SET DateStyle = 'ISO, YMD'")
        conn.execute("SET default_transaction_read_only = on")
        yield conn


def source_schema(conn: psycopg.Connection[Any], request: LoadRequest) -> pa.Schema:
    """The Arrow schema the table loads as; each field notes its Postgres type."""
    rows = conn.execute(_COLUMNS, (request.source_schema, request.source_table)).fetchall()
    if not rows:
        database = request.db_config.get("database")
        name = sql.Identifier(request.source_schema, request.source_table).as_string(conn)
        raise LoadError(
            f"source table {name} does not exist in database {database!r} "
            "(or the user cannot see it): check source_schema_name and source_table_name"
        )
    schema = pa.schema(
        [
            pa.field(name, arrow_type(udt, p, s), metadata={_POSTGRES_TYPE: udt})
            for name, udt, p, s in rows
        ]
    )
    column = request.incremental_column
    if request.incremental and column not in schema.names:
        raise LoadError(
            f"incremental_column {column!r} does not exist in "
            f"{request.source_schema}.{request.source_table}"
        )
    return schema


def select_query(request: LoadRequest, schema: pa.Schema) -> sql.Composed:
    """The SELECT the driver copies out; every name from the request is quoted.

    Numerics and the types the driver has no plain Arrow form for (uuid, json, arrays,
    intervals...) are cast to text in Postgres, so they arrive as their Postgres text.
    """
    columns = [
        sql.Identifier(field.name)
        if (field.metadata or {}).get(_POSTGRES_TYPE, b"").decode() in _DRIVER_TYPES
        else sql.SQL("{}::text AS {}").format(
            sql.Identifier(field.name), sql.Identifier(field.name)
        )
        for field in schema
    ]
    select = sql.SQL("SELECT {columns} FROM {table}").format(
        columns=sql.SQL(", ").join(columns),
        table=sql.Identifier(request.source_schema, request.source_table),
    )
    if request.incremental and request.incremental_value is not None:
        assert request.incremental_column is not None
        select = sql.SQL("{} WHERE {} > {}").format(
            select,
            sql.Identifier(request.incremental_column),
            sql.Literal(request.incremental_value),
        )
    return select


def _adbc_uri(request: LoadRequest) -> str:
    """A libpq URI for the driver: the server ``connect`` reaches, read-only, in UTC."""
    config = request.db_config
    password = _password(request)
    user = quote(str(config["user"]), safe="")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = str(config["host"])
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    database = quote(str(config["database"]), safe="")
    options = urlencode(
        {
            "sslmode": str(config.get("sslmode", "prefer")),
            "connect_timeout": str(int(config.get("connect_timeout", 10))),
            "application_name": "table-loader",
            "options": "-c default_transaction_read_only=on -c TimeZone=UTC",
        },
        quote_via=quote,
    )
    return f"postgresql://{auth}@{host}:{int(config['port'])}/{database}?{options}"


def _scrubbed(error: Exception, password: str | None) -> str:
    """The first line of a driver error, with no trace of the password."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    for secret in {password, quote(password or "", safe="")} - {None, ""}:
        text = text.replace(str(secret), "***")
    return text


@contextmanager
def open_batches(
    conn: psycopg.Connection[Any], request: LoadRequest, schema: pa.Schema
) -> Iterator[Iterator[pa.RecordBatch]]:
    """The source rows as record batches of at most ~``batch_rows`` rows, typed as
    ``target_schema(schema)``.

    The ADBC driver runs ``COPY (SELECT ...) TO STDOUT (FORMAT binary)`` and decodes it into
    Arrow in C, one bounded batch at a time: memory holds one batch, whatever the table size.
    The connection opens here, so a refused connection fails before anything is written.
    """
    query = select_query(request, schema).as_string(conn)
    # The driver sizes batches in bytes: aim at batch_rows rows of ~100 bytes, 1-64 MiB.
    batch_bytes = min(max(request.batch_rows * 100, 1 << 20), 64 << 20)
    try:
        source = adbc.connect(_adbc_uri(request))
    except adbc.Error as exc:
        reason = _scrubbed(exc, _password(request))
        raise LoadError(f"could not connect to the source {_where(request)}: {reason}") from None
    with source, source.cursor() as cursor:
        cursor.adbc_statement.set_options(
            **{StatementOptions.BATCH_SIZE_HINT_BYTES.value: str(batch_bytes)}
        )
        cursor.execute(query)
        target = target_schema(schema)
        yield (conform(batch, target) for batch in cursor.fetch_record_batch())


def target_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` as the Delta table gets it: names and types only."""
    return pa.schema([pa.field(field.name, field.type) for field in schema])


def conform(batch: pa.RecordBatch, target: pa.Schema) -> pa.RecordBatch:
    """``batch`` with ``target``'s types (numeric text becomes a decimal) and without the
    driver's field metadata."""
    columns = [
        column if column.type == field.type else column.cast(field.type)
        for column, field in zip(batch.columns, target, strict=True)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=target)
