"""``LakebaseClient``: every read and write the dataloader makes on its control database.

Times come from an injectable clock rather than the database's ``now()``, so the sensors'
criteria can be tested at any moment. Column names are fixed; identifiers that come from
data are composed with ``psycopg.sql.Identifier``.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString

import psycopg
from psycopg import sql
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from lakebase.models import QueuedLoad, Status, SyncResult, TableControl, TableRegistration
from lakebase.schedule import next_load_time

Clock = Callable[[], datetime]

_METADATA_COLUMNS = frozenset(
    {
        "status",
        "started_at",
        "finished_at",
        "watermark_after",
        "rows_loaded",
        "duration_seconds",
        "dagster_run_id",
        "dagster_run_url",
        "databricks_run_url",
        "error_message",
        "retry_decision",
        "retry_confidence",
    }
)

# The master sensor's criteria (the spec's query, with the clock's time for NOW()).
_READY = sql.SQL(
    "SELECT * FROM table_control WHERE is_active = true"
    " AND next_load_date_time <= %(now)s"
    " AND (last_status IS NULL OR last_status NOT IN ('Queued', 'In Progress'))"
    " ORDER BY next_load_date_time, config_id"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class LakebaseClient:
    """Typed access to ``table_control`` and ``historical_metadata``."""

    def __init__(self, conninfo: str, clock: Clock = utc_now) -> None:
        self._conninfo = conninfo
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        """A connection in one transaction: committed on success, rolled back on error."""
        with psycopg.Connection[DictRow].connect(self._conninfo, row_factory=dict_row) as conn:
            yield conn

    # -- reads ---------------------------------------------------------------------------

    def get_control_tables(self, limit: int | None = None) -> list[TableControl]:
        """Tables ready to load (the master sensor's criteria), oldest due first."""
        query = _READY + sql.SQL(" LIMIT %(limit)s") if limit else _READY
        return self._tables(query, limit=limit)

    def get_table_details(self, control_key: str) -> TableControl | None:
        rows = self._tables(
            "SELECT * FROM table_control WHERE control_key = %(key)s", key=control_key
        )
        return rows[0] if rows else None

    def get_table(self, config_id: int) -> TableControl | None:
        rows = self._tables("SELECT * FROM table_control WHERE config_id = %(id)s", id=config_id)
        return rows[0] if rows else None

    def get_long_queued(self, threshold: timedelta) -> list[TableControl]:
        """Tables ``Queued`` for longer than ``threshold``."""
        return self._tables(
            "SELECT * FROM table_control WHERE last_status = 'Queued'"
            " AND last_status_date_time < %(cutoff)s ORDER BY config_id",
            cutoff=self.now() - threshold,
        )

    def get_long_running(self, threshold: timedelta) -> list[TableControl]:
        """Tables ``In Progress`` since longer than ``threshold``."""
        return self._tables(
            "SELECT * FROM table_control WHERE last_status = 'In Progress'"
            " AND last_load_date_time < %(cutoff)s ORDER BY config_id",
            cutoff=self.now() - threshold,
        )

    def get_failed_for_analysis(self, max_retries: int) -> list[TableControl]:
        """Failed tables with retries left that nobody has flagged for review yet."""
        return self._tables(
            "SELECT * FROM table_control WHERE last_status = 'Failed'"
            " AND retry_count < %(max)s AND NOT requires_review ORDER BY config_id",
            max=max_retries,
        )

    def get_unprocessed_landing_tables(self) -> list[TableControl]:
        """Loaded tables whose staging schema file has not been written yet."""
        return self._tables(
            "SELECT * FROM table_control WHERE last_status = 'Succeeded'"
            " AND staging_model_processed = false ORDER BY config_id"
        )

    def get_history(self, config_id: int) -> list[dict[str, Any]]:
        with self.connection() as conn:
            cursor = conn.execute(
                "SELECT * FROM historical_metadata WHERE config_id = %s ORDER BY metadata_id",
                (config_id,),
            )
            return cursor.fetchall()

    # -- the master sensor's claim -------------------------------------------------------

    def claim_ready_tables(self, limit: int) -> list[QueuedLoad]:
        """Atomically take up to ``limit`` ready tables: open a history row, mark ``Queued``.

        ``FOR UPDATE SKIP LOCKED`` makes concurrent claims disjoint: a row another
        transaction is claiming is skipped, and once committed it is no longer ready.
        """
        now = self.now()
        with self.connection() as conn:
            rows = conn.execute(
                _READY + sql.SQL(" LIMIT %(limit)s FOR UPDATE SKIP LOCKED"),
                {"now": now, "limit": limit},
            ).fetchall()
            if not rows:
                return []
            ids = [row["config_id"] for row in rows]
            history = conn.execute(
                "INSERT INTO historical_metadata"
                " (config_id, control_key, status, queued_at, load_strategy, watermark_before)"
                " SELECT config_id, control_key, 'Queued', %(now)s, load_strategy,"
                " incremental_value FROM table_control WHERE config_id = ANY(%(ids)s)"
                " RETURNING config_id, metadata_id",
                {"now": now, "ids": ids},
            ).fetchall()
            conn.execute(
                "UPDATE table_control SET last_status = 'Queued', last_status_date_time = %(now)s,"
                " last_status_message = 'Queued by master_sensor', updated_at = %(now)s"
                " WHERE config_id = ANY(%(ids)s)",
                {"now": now, "ids": ids},
            )
        metadata_ids = {h["config_id"]: h["metadata_id"] for h in history}
        claimed = [_table({**row, "last_status": Status.QUEUED.value}) for row in rows]
        return [QueuedLoad(table, metadata_ids[table.config_id]) for table in claimed]

    # -- status and history writes -------------------------------------------------------

    def update_control_status(
        self,
        config_id: int,
        status: Status | None,
        message: str | None = None,
        dagster_run_url: str | None = None,
        expected: Status | None = None,
    ) -> bool:
        """Set ``last_status`` (``In Progress`` also stamps ``last_load_date_time``).

        With ``expected``, only a row still in that status changes, so a monitor never
        overwrites a load that finished meanwhile. Returns whether the row changed.
        """
        now = self.now()
        guard = sql.SQL(" AND last_status = %(expected)s" if expected else "")
        with self.connection() as conn:
            cursor = conn.execute(
                sql.SQL(
                    "UPDATE table_control SET last_status = %(status)s,"
                    " last_status_date_time = %(now)s, last_status_message = %(message)s,"
                    " last_load_date_time = CASE WHEN %(status)s = 'In Progress' THEN %(now)s"
                    "   ELSE last_load_date_time END,"
                    " last_dagster_run = COALESCE(%(url)s, last_dagster_run), updated_at = %(now)s"
                    " WHERE config_id = %(id)s"
                )
                + guard,
                {
                    "status": status.value if status else None,
                    "now": now,
                    "message": message,
                    "url": dagster_run_url,
                    "id": config_id,
                    "expected": expected.value if expected else None,
                },
            )
            return cursor.rowcount == 1

    def update_run_tracking(
        self, config_id: int, dagster_url: str | None = None, databricks_url: str | None = None
    ) -> None:
        """Record where the load runs, in Dagster and on Databricks (both directions link)."""
        with self.connection() as conn:
            conn.execute(
                "UPDATE table_control SET last_dagster_run = COALESCE(%s, last_dagster_run),"
                " last_databricks_run = COALESCE(%s, last_databricks_run) WHERE config_id = %s",
                (dagster_url, databricks_url, config_id),
            )

    def insert_initial_metadata(
        self,
        config_id: int,
        control_key: str,
        load_strategy: str,
        watermark_before: str | None = None,
    ) -> int:
        """Open a history record at queue time; return its ``metadata_id``."""
        with self.connection() as conn:
            row = conn.execute(
                "INSERT INTO historical_metadata (config_id, control_key, status, queued_at,"
                " load_strategy, watermark_before) VALUES (%s, %s, 'Queued', %s, %s, %s)"
                " RETURNING metadata_id",
                (config_id, control_key, self.now(), load_strategy, watermark_before),
            ).fetchone()
        assert row is not None
        return int(row["metadata_id"])

    def update_metadata(self, metadata_id: int, **fields: Any) -> None:
        """Update a history record; ``fields`` are ``historical_metadata`` columns."""
        unknown = set(fields) - _METADATA_COLUMNS
        if unknown:
            raise ValueError(f"not historical_metadata columns: {', '.join(sorted(unknown))}")
        if not fields:
            return
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name))
            for name in fields
        )
        query = sql.SQL("UPDATE historical_metadata SET {} WHERE metadata_id = {}").format(
            assignments, sql.Placeholder("metadata_id")
        )
        with self.connection() as conn:
            conn.execute(query, {**fields, "metadata_id": metadata_id})

    def record_load_success(
        self,
        config_id: int,
        metadata_id: int,
        rows_loaded: int,
        watermark: str | None,
        duration_seconds: float,
    ) -> datetime:
        """Mark the load ``Succeeded``, advance watermark and next load; return the next load."""
        now = self.now()
        table = self.get_table(config_id)
        if table is None:
            raise LookupError(f"table_control has no config_id {config_id}")
        due = next_load_time(table.cron_schedule, now)
        with self.connection() as conn:
            conn.execute(
                "UPDATE table_control SET last_status = 'Succeeded', last_status_date_time = %(now)s,"
                " last_status_message = %(message)s, last_success_date_time = %(now)s,"
                " last_rows_loaded = %(rows)s, next_load_date_time = %(due)s,"
                " incremental_value = COALESCE(%(watermark)s, incremental_value),"
                " retry_count = 0, requires_review = false, updated_at = %(now)s"
                " WHERE config_id = %(id)s",
                {
                    "now": now,
                    "message": f"Loaded {rows_loaded} rows",
                    "rows": rows_loaded,
                    "due": due,
                    "watermark": watermark,
                    "id": config_id,
                },
            )
            conn.execute(
                "UPDATE historical_metadata SET status = 'Succeeded', finished_at = %s,"
                " rows_loaded = %s, watermark_after = %s, duration_seconds = %s"
                " WHERE metadata_id = %s",
                (now, rows_loaded, watermark, duration_seconds, metadata_id),
            )
        return due

    def record_load_failure(self, config_id: int, metadata_id: int | None, message: str) -> None:
        """Mark the load ``Failed`` with ``message`` (here and in its history record)."""
        now = self.now()
        with self.connection() as conn:
            conn.execute(
                "UPDATE table_control SET last_status = 'Failed', last_status_date_time = %s,"
                " last_status_message = %s, updated_at = %s WHERE config_id = %s",
                (now, message, now, config_id),
            )
            if metadata_id is not None:
                conn.execute(
                    "UPDATE historical_metadata SET status = 'Failed', finished_at = %s,"
                    " error_message = %s WHERE metadata_id = %s",
                    (now, message, metadata_id),
                )

    def fail_table(self, config_id: int, message: str, expected: Status) -> bool:
        """``Failed`` with ``message`` if still ``expected``; close its open history record.

        The monitors use this: a load that finished meanwhile is left alone.
        """
        now = self.now()
        with self.connection() as conn:
            changed = conn.execute(
                "UPDATE table_control SET last_status = 'Failed', last_status_date_time = %s,"
                " last_status_message = %s, updated_at = %s"
                " WHERE config_id = %s AND last_status = %s",
                (now, message, now, config_id, expected.value),
            ).rowcount
            if changed:
                conn.execute(
                    "UPDATE historical_metadata SET status = 'Failed', finished_at = %s,"
                    " error_message = %s WHERE metadata_id = (SELECT max(metadata_id)"
                    " FROM historical_metadata WHERE config_id = %s AND finished_at IS NULL)",
                    (now, message, config_id),
                )
        return changed == 1

    # -- retry analysis outcomes ---------------------------------------------------------

    def reset_for_retry(self, config_id: int, reason: str) -> None:
        """Clear the status (eligible for the next pickup now) and count the retry."""
        now = self.now()
        with self.connection() as conn:
            conn.execute(
                "UPDATE table_control SET last_status = NULL, last_status_date_time = %s,"
                " last_status_message = %s, retry_count = retry_count + 1,"
                " next_load_date_time = LEAST(next_load_date_time, %s), requires_review = false,"
                " updated_at = %s WHERE config_id = %s",
                (now, reason, now, now, config_id),
            )

    def mark_for_review(self, config_id: int, reason: str) -> None:
        """Keep ``Failed`` and flag the table, so no monitor picks it until a human acts."""
        now = self.now()
        with self.connection() as conn:
            conn.execute(
                "UPDATE table_control SET last_status = 'Failed', last_status_date_time = %s,"
                " last_status_message = %s, requires_review = true, updated_at = %s"
                " WHERE config_id = %s",
                (now, reason, now, config_id),
            )

    # -- landing tables -----------------------------------------------------------------

    def mark_staging_processed(self, config_ids: Iterable[int]) -> int:
        with self.connection() as conn:
            cursor = conn.execute(
                "UPDATE table_control SET staging_model_processed = true, updated_at = %s"
                " WHERE config_id = ANY(%s)",
                (self.now(), list(config_ids)),
            )
            return cursor.rowcount

    # -- registration -------------------------------------------------------------------

    def register_table(self, registration: TableRegistration, registered_by: str) -> int:
        """Insert or update a table's definition by ``control_key``; keep its load state.

        Returns the ``config_id``.
        """
        next_load_time(registration.cron_schedule, self.now())  # validates the expression
        values: dict[str, Any] = {
            **registration.__dict__,
            "db_config_value": Jsonb(registration.db_config_value),
            "registered_by": registered_by,
            "now": self.now(),
        }
        columns = [c for c in values if c != "now"]
        query = sql.SQL(
            "INSERT INTO table_control ({cols}, next_load_date_time) VALUES ({vals}, {now})"
            " ON CONFLICT (control_key) DO UPDATE SET {updates}, updated_at = {now}"
            " RETURNING config_id"
        ).format(
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            vals=sql.SQL(", ").join(map(sql.Placeholder, columns)),
            now=sql.Placeholder("now"),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                for c in columns
                if c != "control_key"
            ),
        )
        with self.connection() as conn:
            row = conn.execute(query, values).fetchone()
        assert row is not None
        return int(row["config_id"])

    def deactivate_unlisted(self, registered_by: str, keep: Iterable[str]) -> list[str]:
        """Deactivate tables ``registered_by`` one source that it no longer lists."""
        with self.connection() as conn:
            return self._deactivate_unlisted(conn, registered_by, list(keep))

    def sync_registrations(
        self, source: str, registrations: Sequence[TableRegistration]
    ) -> SyncResult | None:
        """Make ``table_control`` match the tables ``source`` declares, if they changed.

        A digest of the declarations is kept per source, so an unchanged set costs one read.
        Returns ``None`` when nothing changed.
        """
        payload = json.dumps([r.__dict__ for r in registrations], sort_keys=True, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        with self.connection() as conn:
            row = conn.execute(
                "SELECT digest FROM registration_sync WHERE source = %s", (source,)
            ).fetchone()
        if row and row["digest"] == digest:
            return None
        ids = [self.register_table(r, registered_by=source) for r in registrations]
        with self.connection() as conn:
            gone = self._deactivate_unlisted(conn, source, [r.control_key for r in registrations])
            conn.execute(
                "INSERT INTO registration_sync (source, digest, synced_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (source) DO UPDATE SET digest = EXCLUDED.digest,"
                " synced_at = EXCLUDED.synced_at",
                (source, digest, self.now()),
            )
        return SyncResult(registered=ids, deactivated=gone)

    def _deactivate_unlisted(
        self, conn: psycopg.Connection[DictRow], registered_by: str, keep: list[str]
    ) -> list[str]:
        rows = conn.execute(
            "UPDATE table_control SET is_active = false, updated_at = %s"
            " WHERE registered_by = %s AND is_active AND NOT (control_key = ANY(%s))"
            " RETURNING control_key",
            (self.now(), registered_by, keep),
        ).fetchall()
        return [row["control_key"] for row in rows]

    # -- helpers ------------------------------------------------------------------------

    def _tables(
        self, query: LiteralString | sql.SQL | sql.Composed, **params: Any
    ) -> list[TableControl]:
        params.setdefault("now", self.now())
        with self.connection() as conn:
            statement = sql.SQL(query) if isinstance(query, str) else query
            return [_table(row) for row in conn.execute(statement, params).fetchall()]


def _table(row: Mapping[str, Any]) -> TableControl:
    fields = TableControl.__dataclass_fields__
    return TableControl(**{name: row[name] for name in fields})
