"""``PostGISResource``: PostGIS as a transient compute engine (load, transform, dump, drop).

Nothing is kept in PostGIS: each run works in its own schema ``proc_{run_id_sanitized}``,
created by ``ephemeral_schema`` and dropped when the block exits, exceptions and Dagster's
interrupts included. While the schema exists its run holds a session-level advisory lock on
it, on a connection of its own; a run killed outright (SIGKILL, lost node) loses its session
and so the lock, and ``sweep_orphaned_schemas`` drops every schema whose lock nobody holds,
whatever Dagster's run storage believes about the run.
"""

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

from platform_config.env_secret import ResourceWithSecrets, Secret, read_secret
from spatial_platform.schema_mapping import RunIdSchemaMapping
from spatial_platform.settings import COMPUTE_DATABASE

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

SCHEMA_LOCK_CLASS = 0x5EA7
"""First key of the advisory locks on ephemeral schemas (the second: ``hashtext(schema)``)."""
_TRY_LOCK = "SELECT pg_try_advisory_lock(%s, hashtext(%s))"
_UNLOCK = "SELECT pg_advisory_unlock(%s, hashtext(%s))"


class SchemaInUse(RuntimeError):
    """Another live session holds the ephemeral schema of this run."""


Bounds = tuple[float, float, float, float]


class PostGISResource(ResourceWithSecrets):
    """Connection to the PostGIS compute database (``POSTGRES_*`` in production)."""

    host: str = "postgis"
    port: int = 5432
    user: str = "postgres"
    password: Secret | None = Field(default=None, description="POSTGRES_PASSWORD")
    database: str = COMPUTE_DATABASE
    sslmode: str = "prefer"

    def get_engine(self) -> "Engine":
        """A pooled SQLAlchemy engine, one per connection target and process."""
        return self._engine_on(self.port)

    def _engine_on(self, port: int) -> "Engine":
        from sqlalchemy.engine import URL

        url = URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=read_secret(self.password) or None,
            host=self.host,
            port=port,
            database=self.database,
            query={"sslmode": self.sslmode, "application_name": "dagster-spatial-etl"},
        )
        return _engine(url.render_as_string(hide_password=False))

    @contextlib.contextmanager
    def ephemeral_schema(self, run_id: str) -> Iterator[str]:
        """Create ``proc_{run_id_sanitized}``, yield its name, drop it on every exit path.

        The schema's advisory lock is held for the whole block by a session of its own
        (``SchemaInUse`` if another live session holds it: the run executes twice).
        """
        from sqlalchemy import text

        schema = RunIdSchemaMapping.from_run_id(run_id).schema_name
        with self._session() as session:
            (locked,) = session.execute(_TRY_LOCK, (SCHEMA_LOCK_CLASS, schema)).fetchone()
            if not locked:
                raise SchemaInUse(
                    f"the PostGIS schema {schema} of run {run_id} is held by another live "
                    "session: is the run executing twice?"
                )
            with self.get_engine().begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            try:
                yield schema
            finally:
                self.drop_schema(schema)

    @contextlib.contextmanager
    def _session(self) -> Iterator[Any]:
        """A psycopg connection outside the pool (its session locks end when it closes)."""
        raw = self.get_engine().raw_connection()
        conn = raw.driver_connection
        raw.detach()
        try:
            assert conn is not None
            conn.autocommit = True
            yield conn
        finally:
            raw.close()

    def sweep_orphaned_schemas(self) -> list[RunIdSchemaMapping]:
        """Drop the ephemeral schemas whose advisory lock no session holds; return them.

        A run's schema is locked from before it is created until after it is dropped, so
        an unlocked one belongs to a run whose process is gone. Schemas of live runs, and of
        runs another sweep is dropping, are left alone.
        """
        dropped = []
        with self._session() as session:
            for mapping in self.list_ephemeral_schemas():
                key = (SCHEMA_LOCK_CLASS, mapping.schema_name)
                (locked,) = session.execute(_TRY_LOCK, key).fetchone()
                if not locked:
                    continue
                try:
                    session.execute(f'DROP SCHEMA IF EXISTS "{mapping.schema_name}" CASCADE')
                    dropped.append(mapping)
                finally:
                    session.execute(_UNLOCK, key)
        return dropped

    def drop_schema(self, schema: str) -> None:
        """Drop an ephemeral schema and everything in it (no-op when it is gone)."""
        from sqlalchemy import text

        if not RunIdSchemaMapping.is_ephemeral_schema(schema):
            raise ValueError(f"{schema!r} is not an ephemeral schema: refusing to drop it")
        with self.get_engine().begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def server_started(self) -> bool:
        """Whether the server runs (always, for a remote server: a sweep may connect)."""
        return True

    def list_ephemeral_schemas(self) -> list[RunIdSchemaMapping]:
        """Every ``proc_*`` schema present, mapped back to the run that made it."""
        rows = self.execute_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'proc\\_%' ORDER BY nspname"
        )
        return [
            RunIdSchemaMapping.from_schema_name(name)
            for (name,) in rows
            if RunIdSchemaMapping.is_ephemeral_schema(name)
        ]

    def execute_sql(
        self, sql: str, schema: str | None = None, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` in one transaction with ``schema`` first on the search path.

        Returns the rows of a statement that produces rows, else ``[]``.
        """
        from sqlalchemy import text

        with self.get_engine().begin() as conn:
            if schema is not None:
                _check_schema(schema)
                conn.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
            result = conn.execute(text(sql), dict(params or {}))
            return [tuple(row) for row in result] if result.returns_rows else []

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.execute_sql(
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = :schema AND table_name = :table",
            params={"schema": schema, "table": table},
        )
        return bool(rows)

    def get_table_bounds(self, schema: str, table: str, geom_column: str = "geom") -> Bounds | None:
        """``ST_Extent`` of a table's geometries as (minx, miny, maxx, maxy); None if empty."""
        _check_schema(schema)
        sql = (
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "  # noqa: S608 (identifiers quoted)
            f'(SELECT ST_Extent({_ident(geom_column)}) AS e FROM "{schema}".{_ident(table)}) x'
        )
        (row,) = self.execute_sql(sql)
        return (
            None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        )

    def load_arrow(
        self,
        schema: str,
        table: str,
        data: "pa.Table",
        geometry_column: str | None = None,
        srid: int = 4326,
    ) -> int:
        """Create ``schema.table`` from an Arrow table (WKB in ``geometry_column``); row count.

        The geometry column arrives as ``geom`` of type ``geometry(Geometry, srid)``.
        """
        _check_schema(schema)
        columns: list[str] = []
        for field in data.schema:
            if field.name == geometry_column:
                columns.append("geom geometry")
            else:
                columns.append(f"{_ident(field.name)} {_pg_type(field.type)}")
        target = f'"{schema}".{_ident(table)}'
        names = ", ".join("geom" if n == geometry_column else _ident(n) for n in data.column_names)
        raw = self.get_engine().raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            with conn.cursor() as cur:
                cur.execute(f"CREATE TABLE {target} ({', '.join(columns)})")
                with cur.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                    for row in _rows_for_copy(data, geometry_column):
                        copy.write_row(row)
                if geometry_column is not None:
                    cur.execute(
                        f"ALTER TABLE {target} ALTER COLUMN geom TYPE geometry(Geometry, {int(srid)}) "
                        f"USING ST_SetSRID(geom, {int(srid)})"
                    )
            conn.commit()
        finally:
            raw.close()
        return data.num_rows

    def query_arrow(self, sql: str, schema: str | None = None) -> "pa.Table":
        """Rows of ``sql`` as an Arrow table (select geometries as ``ST_AsBinary``)."""
        import pyarrow as pa
        from sqlalchemy import text

        with self.get_engine().begin() as conn:
            if schema is not None:
                _check_schema(schema)
                conn.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
            result = conn.execute(text(sql))
            names = list(result.keys())
            rows = result.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        return pa.table(
            {name: pa.array(list(values)) for name, values in zip(names, columns, strict=True)}
        )


class LocalPostGISResource(PostGISResource):
    """PostGIS on a Postgres cluster this location starts itself (``local`` environment).

    The first use starts the system's Postgres with PostGIS in ``state_dir`` (kept between
    sessions) on a free port, unless ``port`` names one, and creates the ``spatial_compute``
    database with the extension; every process of the session finds the cluster on the port
    it runs on. Without PostGIS on the machine it fails saying which package to install.
    """

    host: str = "127.0.0.1"
    port: int | None = None  # type: ignore[assignment]  # a free port, found when started
    state_dir: str = ""

    def get_engine(self) -> "Engine":
        return self._engine_on(_ensure_local_postgis(self.state_dir, self.port, self.database))

    def server_started(self) -> bool:
        """Whether the local cluster runs; a sweep never starts it just to find it empty."""
        from local_services import PostgresCluster, PostgresUnavailable
        from local_services import state_dir as default_state_dir

        base = Path(self.state_dir) if self.state_dir else default_state_dir("spatial-postgis")
        try:
            return PostgresCluster.create(base / "cluster", require_postgis=True).is_running()
        except PostgresUnavailable:
            return False


@cache
def _ensure_local_postgis(state_dir: str, port: int | None, database: str) -> int:
    """The local cluster's port, started (and its database created) if it is not running.

    Once per process: the cluster stops only when ``scripts/dev`` exits, with its processes.
    """
    from local_services import PostgresCluster, PostgresUnavailable
    from local_services import state_dir as default_state_dir

    base = Path(state_dir) if state_dir else default_state_dir("spatial-postgis")
    try:
        cluster = PostgresCluster.create(base / "cluster", require_postgis=True)
        running = cluster.ensure_running(port)
    except PostgresUnavailable as exc:
        raise dg.DagsterInvariantViolationError(
            f"the join lane needs PostGIS: {exc} (on Debian/Ubuntu `apt-get install -y "
            "postgresql-15-postgis-3`; elsewhere install PostGIS for your Postgres and set "
            "PG_BINDIR, or point POSTGRES_* at a PostGIS server with DAGSTER_ENVIRONMENT set)"
        ) from exc
    if port is not None and running != port:
        raise dg.DagsterInvariantViolationError(
            f"the local PostGIS cluster in {base} runs on port {running}, not {port}: stop it "
            "(python -m local_services.stop) or leave the port unset to use the running one"
        )
    cluster.create_database(database, extensions=["postgis"])
    return running


@cache
def _engine(url: str) -> "Engine":
    from sqlalchemy import create_engine

    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)


def _check_schema(schema: str) -> None:
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"schema {schema!r} is not a plain identifier")


def _ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _pg_type(arrow_type: "pa.DataType") -> str:
    import pyarrow as pa

    checks: Sequence[tuple[Any, str]] = [
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_int8, "smallint"),
        (pa.types.is_int16, "smallint"),
        (pa.types.is_int32, "integer"),
        (pa.types.is_integer, "bigint"),
        (pa.types.is_floating, "double precision"),
        (pa.types.is_decimal, "numeric"),
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamptz"),
        (pa.types.is_binary, "bytea"),
        (pa.types.is_large_binary, "bytea"),
    ]
    for check, name in checks:
        if check(arrow_type):
            return name
    return "text"


def _rows_for_copy(data: "pa.Table", geometry_column: str | None) -> Iterator[tuple[Any, ...]]:
    """Python rows for COPY; WKB becomes hex text, which PostGIS parses as geometry."""
    columns = []
    for name in data.column_names:
        values = data.column(name).to_pylist()
        if name == geometry_column:
            values = [None if v is None else bytes(v).hex() for v in values]
        columns.append(values)
    yield from zip(*columns, strict=True)
