"""Reads a Postgres table as a stream of Arrow record batches.

``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` is Postgres' fastest way out; its chunks feed
Arrow's streaming CSV reader with column types taken from the catalog, so memory holds one
block at a time, whatever the table's size.
"""

import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql
from psycopg.abc import Buffer

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


@contextmanager
def connect(request: LoadRequest) -> Iterator[psycopg.Connection[Any]]:
    """A read-only connection to the source; errors name the server, never the password."""
    config: Mapping[str, Any] = request.db_config
    password = config.get("password")
    if not password and config.get("password_env"):
        password = os.environ.get(str(config["password_env"]))
        if password is None:
            raise LoadError(
                f"the password variable {config['password_env']} is not set for "
                f"{request.control_key}"
            )
    where = f"{config['host']}:{config['port']}/{config['database']}"
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
    rows = conn.execute(_COLUMNS, (request.source_schema, request.source_table)).fetchall()
    if not rows:
        database = request.db_config.get("database")
        name = sql.Identifier(request.source_schema, request.source_table).as_string(conn)
        raise LoadError(
            f"source table {name} does not exist in database {database!r} "
            "(or the user cannot see it): check source_schema_name and source_table_name"
        )
    schema = pa.schema([pa.field(name, arrow_type(udt, p, s)) for name, udt, p, s in rows])
    column = request.incremental_column
    if request.incremental and column not in schema.names:
        raise LoadError(
            f"incremental_column {column!r} does not exist in "
            f"{request.source_schema}.{request.source_table}"
        )
    return schema


def copy_query(request: LoadRequest, schema: pa.Schema) -> sql.Composed:
    """The COPY statement; every name from the request is quoted as an identifier."""
    select = sql.SQL("SELECT {columns} FROM {table}").format(
        columns=sql.SQL(", ").join(sql.Identifier(name) for name in schema.names),
        table=sql.Identifier(request.source_schema, request.source_table),
    )
    if request.incremental and request.incremental_value is not None:
        assert request.incremental_column is not None
        select = sql.SQL("{} WHERE {} > {}").format(
            select,
            sql.Identifier(request.incremental_column),
            sql.Literal(request.incremental_value),
        )
    return sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(select)


class _CopyStream(io.RawIOBase):
    """A file over the chunks of a running COPY, for Arrow's CSV reader."""

    def __init__(self, chunks: Iterator[Buffer]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = bytes(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def read_batches(
    conn: psycopg.Connection[Any], request: LoadRequest, schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    """The source rows as record batches of about ``batch_rows`` rows."""
    with conn.cursor() as cursor, cursor.copy(copy_query(request, schema)) as copy:
        stream = io.BufferedReader(_CopyStream(iter(copy)), buffer_size=1 << 20)
        # Arrow's CSV blocks are bytes: aim at batch_rows rows of ~100 bytes, 1-64 MiB.
        block = min(max(request.batch_rows * 100, 1 << 20), 64 << 20)
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=schema.names, block_size=block),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=schema,
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    true_values=["t"],
                    false_values=["f"],
                ),
            )
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return
            raise
        yield from reader
