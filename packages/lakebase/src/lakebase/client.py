"""``LakebaseClient``: every read and write the dataloader makes on its control database.

Times come from an injectable clock rather than the database's ``now()``, so the sensors'
criteria can be tested at any moment. Column names are fixed; identifiers that come from
data are composed with ``psycopg.sql.Identifier``.

Connections come from one ``psycopg_pool`` pool per database and process; every call is one
transaction, retried with exponential backoff (tenacity) on transient errors (connection
loss, serialization failures). What still fails is raised as ``LakebaseUnavailable`` or
``LakebaseNotMigrated`` with a one-line message saying what to fix.

Fencing: a claim is the ``historical_metadata`` row the master sensor opens; the row's
``claim_metadata_id`` names the current one. Every write a load run makes is conditioned on
its claim still being current (and the row in the state that claim left it), so a late,
retried or re-executed run changes nothing.
"""

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, LiteralString, TypeVar

import psycopg
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from lakebase.errors import LakebaseNotMigrated, LakebaseUnavailable, StaleClaim
from lakebase.models import (
    ClaimBatch,
    QueuedLoad,
    RejectedRow,
    RetryPolicy,
    Status,
    SyncResult,
    TableControl,
    TableRegistration,
)
from lakebase.schedule import next_load_time
from lakebase.validation import row_problem

Clock = Callable[[], datetime]
Connection = psycopg.Connection[DictRow]
T = TypeVar("T")

MIGRATE_COMMAND = "lakebase-migrate <conninfo>"
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

# The master sensor's criteria (the spec's query, with the clock's time for NOW()); a row
# flagged for review waits for a person (see the runbook's reset).
_READY = sql.SQL(
    "SELECT * FROM table_control WHERE is_active = true"
    " AND next_load_date_time <= %(now)s"
    " AND (last_status IS NULL OR last_status NOT IN ('Queued', 'In Progress'))"
    " AND NOT requires_review"
    " ORDER BY next_load_date_time, config_id"
)
# The run that owns claim %(mid)s may still write: the row is in one of %(expected)s.
_FENCE = sql.SQL(
    " WHERE config_id = %(id)s AND claim_metadata_id IS NOT DISTINCT FROM %(mid)s"
    " AND last_status = ANY(%(expected)s)"
)
_RUN_STATES = [Status.QUEUED.value, Status.IN_PROGRESS.value]

_pools: dict[str, ConnectionPool[Connection]] = {}
_pools_lock = threading.Lock()


def utc_now() -> datetime:
    return datetime.now(UTC)


def close_pools() -> None:
    """Close every pool this process opened (tests, and processes that are shutting down)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


def _pool(conninfo: str, timeout: float) -> ConnectionPool[Connection]:
    with _pools_lock:
        pool = _pools.get(conninfo)
        if pool is None or pool.closed:
            pool = ConnectionPool(
                conninfo,
                connection_class=Connection,
                kwargs={"row_factory": dict_row},
                min_size=0,
                max_size=4,
                max_idle=60,
                timeout=timeout,
                reconnect_timeout=timeout,
                check=_check,
                name="lakebase",
                open=False,
            )
            pool.open(wait=False)
            _pools[conninfo] = pool
        return pool


def _check(conn: Connection) -> None:
    """Hand out only live connections: a restarted server leaves dead ones in the pool."""
    conn.execute("SELECT 1")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class LakebaseClient:
    """Typed access to ``table_control`` and ``historical_metadata``."""

    def __init__(
        self,
        conninfo: str,
        clock: Clock = utc_now,
        policy: RetryPolicy | None = None,
        connect_timeout: float = 10.0,
        attempts: int = 3,
    ) -> None:
        self._conninfo = conninfo
        self._clock = clock
        self.policy = policy or RetryPolicy()
        self._connect_timeout = connect_timeout
        self._attempts = attempts

    def now(self) -> datetime:
        return self._clock()

    def _where(self) -> str:
        params = conninfo_to_dict(self._conninfo)
        host = params.get("host") or params.get("hostaddr") or "localhost"
        return f"{host}:{params.get('port') or 5432}/{params.get('dbname') or ''}"

    def _why_unreachable(self) -> BaseException:
        """The pool only says it timed out: one direct attempt tells why."""
        try:
            psycopg.connect(
                self._conninfo, connect_timeout=max(1, int(self._connect_timeout))
            ).close()
        except psycopg.Error as exc:
            return exc
        return TimeoutError(f"no connection within {self._connect_timeout:g} s")

    def transaction(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction, retried on transient errors; map what remains."""
        retrying = Retrying(
            retry=retry_if_exception_type(psycopg.OperationalError),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt, _pool(self._conninfo, self._connect_timeout).connection() as conn:
                    return work(conn)
        except (errors.UndefinedTable, errors.UndefinedColumn) as exc:
            raise LakebaseNotMigrated(
                f"Lakebase {self._where()} is not migrated ({_first_line(exc)}): "
                f"run `{MIGRATE_COMMAND}`"
            ) from None
        except psycopg.OperationalError as exc:
            reason = self._why_unreachable() if isinstance(exc, PoolTimeout) else exc
            raise LakebaseUnavailable(
                f"Lakebase is unreachable at {self._where()} after {self._attempts} attempts "
                f"(check LAKEBASE_HOST, LAKEBASE_PORT, LAKEBASE_DATABASE): {_first_line(reason)}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

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

    def get_active_tables(self) -> list[TableControl]:
        """Every active table, whatever its status (the loads_on_schedule check reads them)."""
        return self._tables("SELECT * FROM table_control WHERE is_active = true ORDER BY config_id")

    def get_control_keys(self) -> list[str]:
        """Every registered ``control_key`` (active or not)."""
        return self.transaction(
            lambda conn: [
                row["control_key"]
                for row in conn.execute("SELECT control_key FROM table_control ORDER BY 1")
            ]
        )

    def get_history(self, config_id: int) -> list[dict[str, Any]]:
        return self.transaction(
            lambda conn: conn.execute(
                "SELECT * FROM historical_metadata WHERE config_id = %s ORDER BY metadata_id",
                (config_id,),
            ).fetchall()
        )

    # -- the master sensor's claim -------------------------------------------------------

    def claim(self, limit: int) -> ClaimBatch:
        """Atomically take up to ``limit`` ready tables, each checked before it is queued.

        Each row gets a history record (its claim). A valid row becomes ``Queued`` under
        that claim; a row that fails ``validation.row_problem`` becomes ``Failed`` with the
        message and is flagged for review (a bad definition does not fix itself), alone.
        ``FOR UPDATE SKIP LOCKED`` makes concurrent claims disjoint.
        """
        now = self.now()

        def work(conn: Connection) -> ClaimBatch:
            rows = conn.execute(
                _READY + sql.SQL(" LIMIT %(limit)s FOR UPDATE OF table_control SKIP LOCKED"),
                {"now": now, "limit": limit},
            ).fetchall()
            queued: list[QueuedLoad] = []
            rejected: list[RejectedRow] = []
            for row in rows:
                problem = row_problem(row)
                status = Status.FAILED if problem else Status.QUEUED
                history = conn.execute(
                    "INSERT INTO historical_metadata (config_id, control_key, status, queued_at,"
                    " load_strategy, watermark_before, finished_at, error_message)"
                    " VALUES (%(id)s, %(key)s, %(status)s, %(now)s, %(strategy)s, %(mark)s,"
                    " %(finished)s, %(problem)s) RETURNING metadata_id",
                    {
                        "id": row["config_id"],
                        "key": row["control_key"],
                        "status": status.value,
                        "now": now,
                        "strategy": str(row["load_strategy"]),
                        "mark": row["incremental_value"],
                        "finished": now if problem else None,
                        "problem": problem,
                    },
                ).fetchone()
                assert history is not None
                metadata_id = int(history["metadata_id"])
                conn.execute(
                    "UPDATE table_control SET last_status = %(status)s,"
                    " last_status_date_time = %(now)s, last_status_message = %(message)s,"
                    " requires_review = %(review)s, claim_metadata_id = %(mid)s,"
                    " claim_run_id = NULL, updated_at = %(now)s WHERE config_id = %(id)s",
                    {
                        "status": status.value,
                        "now": now,
                        "message": problem or "Queued by master_sensor",
                        "review": problem is not None,
                        "mid": metadata_id,
                        "id": row["config_id"],
                    },
                )
                if problem:
                    rejected.append(RejectedRow(row["config_id"], row["control_key"], problem))
                else:
                    claimed = {**row, "last_status": status.value, "claim_metadata_id": metadata_id}
                    queued.append(QueuedLoad(_table(claimed), metadata_id))
            return ClaimBatch(queued, rejected)

        return self.transaction(work)

    def claim_ready_tables(self, limit: int) -> list[QueuedLoad]:
        """The loads ``claim`` queued (rows it rejected are already ``Failed``)."""
        return self.claim(limit).queued

    def release_orphaned_claim(self, config_id: int, metadata_id: int | None, reason: str) -> bool:
        """Give back a claim whose run never came: status NULL again, no retry spent.

        Only while the row is still ``Queued`` under that claim; its history record ends
        ``Released`` with ``reason``.
        """
        now = self.now()

        def work(conn: Connection) -> bool:
            changed = conn.execute(
                sql.SQL(
                    "UPDATE table_control SET last_status = NULL, last_status_date_time = %(now)s,"
                    " last_status_message = %(reason)s, claim_metadata_id = NULL,"
                    " updated_at = %(now)s"
                )
                + _FENCE,
                {
                    "now": now,
                    "reason": reason,
                    "id": config_id,
                    "mid": metadata_id,
                    "expected": [Status.QUEUED.value],
                },
            ).rowcount
            if changed and metadata_id is not None:
                conn.execute(
                    "UPDATE historical_metadata SET status = 'Released', finished_at = %s,"
                    " error_message = %s WHERE metadata_id = %s",
                    (now, reason, metadata_id),
                )
            return changed == 1

        return self.transaction(work)

    # -- a load run's writes, fenced on its claim ---------------------------------------

    def start_load(
        self, config_id: int, metadata_id: int, run_id: str, root_run_id: str, run_url: str
    ) -> TableControl:
        """``In Progress`` under claim ``metadata_id``; returns the row (its watermark is the
        one to load from).

        Allowed while the row is ``Queued`` under that claim, or already ``In Progress``
        under it for the same root run (a retry of that run resumes). Otherwise raises
        ``StaleClaim`` and writes nothing.
        """
        now = self.now()

        def work(conn: Connection) -> TableControl:
            row = conn.execute(
                "UPDATE table_control SET last_status = 'In Progress',"
                " last_status_date_time = %(now)s, last_status_message = 'Loading',"
                " last_load_date_time = %(now)s, last_dagster_run = %(url)s,"
                " claim_run_id = %(root)s, updated_at = %(now)s"
                " WHERE config_id = %(id)s AND claim_metadata_id = %(mid)s"
                " AND (last_status = 'Queued'"
                "      OR (last_status = 'In Progress' AND claim_run_id = %(root)s))"
                " RETURNING *",
                {
                    "now": now,
                    "url": run_url,
                    "root": root_run_id,
                    "id": config_id,
                    "mid": metadata_id,
                },
            ).fetchone()
            if row is None:
                current = conn.execute(
                    "SELECT control_key, last_status, claim_metadata_id FROM table_control"
                    " WHERE config_id = %s",
                    (config_id,),
                ).fetchone()
                raise StaleClaim(_stale_message(config_id, metadata_id, current))
            conn.execute(
                "UPDATE historical_metadata SET status = 'In Progress', started_at = %s,"
                " dagster_run_id = %s, dagster_run_url = %s WHERE metadata_id = %s",
                (now, run_id, run_url, metadata_id),
            )
            return _table(row)

        return self.transaction(work)

    def record_load_success(
        self,
        config_id: int,
        metadata_id: int,
        rows_loaded: int,
        watermark: str | None,
        duration_seconds: float,
    ) -> datetime:
        """``Succeeded`` under claim ``metadata_id``: watermark, next load, history; returns
        the next load time. Raises ``StaleClaim`` (writing nothing) if the claim moved on."""
        now = self.now()

        def work(conn: Connection) -> datetime:
            row = conn.execute(
                "SELECT control_key, last_status, claim_metadata_id, cron_schedule"
                " FROM table_control WHERE config_id = %s FOR UPDATE",
                (config_id,),
            ).fetchone()
            if (
                row is None
                or row["claim_metadata_id"] != metadata_id
                or row["last_status"] not in _RUN_STATES
            ):
                raise StaleClaim(_stale_message(config_id, metadata_id, row))
            due = next_load_time(row["cron_schedule"], now)
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

        return self.transaction(work)

    def record_load_failure(
        self,
        config_id: int,
        metadata_id: int | None,
        message: str,
        expected: Sequence[Status] = (Status.QUEUED, Status.IN_PROGRESS),
    ) -> bool:
        """``Failed`` with ``message`` if claim ``metadata_id`` is current and the row is in
        one of ``expected``; returns whether it changed (a late writer changes nothing).

        The failure counts (``retry_count + 1``) and backs off: the row is next due after
        ``base_delay * 2**(retry_count)``; the ``max_retries``-th failure in a row flags
        it for review, with the reason appended to the message.
        """
        now = self.now()
        policy = self.policy

        def work(conn: Connection) -> bool:
            changed = conn.execute(
                sql.SQL(
                    "UPDATE table_control SET last_status = 'Failed',"
                    " last_status_date_time = %(now)s, updated_at = %(now)s,"
                    " retry_count = retry_count + 1,"
                    " next_load_date_time = %(now)s + LEAST(%(base)s * power(2, retry_count),"
                    "   %(cap)s) * interval '1 second',"
                    " requires_review = requires_review OR retry_count + 1 >= %(max)s,"
                    " last_status_message = CASE WHEN retry_count + 1 >= %(max)s"
                    "   THEN %(message)s || ' [flagged for review after ' || (retry_count + 1)"
                    "     || ' failed attempts in a row: fix the cause, then reset the table'"
                    "     || ' (lakebase-reset ' || control_key || ')]'"
                    "   ELSE %(message)s END"
                )
                + _FENCE,
                {
                    "now": now,
                    "base": policy.base_delay.total_seconds(),
                    "cap": policy.max_delay.total_seconds(),
                    "max": policy.max_retries,
                    "message": message,
                    "id": config_id,
                    "mid": metadata_id,
                    "expected": [s.value for s in expected],
                },
            ).rowcount
            if changed and metadata_id is not None:
                conn.execute(
                    "UPDATE historical_metadata SET status = 'Failed', finished_at = %s,"
                    " error_message = %s WHERE metadata_id = %s",
                    (now, message, metadata_id),
                )
            return changed == 1

        return self.transaction(work)

    def update_run_tracking(
        self,
        config_id: int,
        dagster_url: str | None = None,
        databricks_url: str | None = None,
        metadata_id: int | None = None,
    ) -> bool:
        """Record where the load runs, in Dagster and on Databricks (both directions link).

        With ``metadata_id``, only while that claim is current and running, and its history
        record gets the Databricks link too.
        """
        fence = sql.SQL(
            " AND claim_metadata_id = %(mid)s AND last_status = ANY(%(expected)s)"
            if metadata_id is not None
            else ""
        )

        def work(conn: Connection) -> bool:
            changed = conn.execute(
                sql.SQL(
                    "UPDATE table_control"
                    " SET last_dagster_run = COALESCE(%(dagster)s, last_dagster_run),"
                    " last_databricks_run = COALESCE(%(databricks)s, last_databricks_run)"
                    " WHERE config_id = %(id)s"
                )
                + fence,
                {
                    "dagster": dagster_url,
                    "databricks": databricks_url,
                    "id": config_id,
                    "mid": metadata_id,
                    "expected": _RUN_STATES,
                },
            ).rowcount
            if changed and metadata_id is not None and databricks_url:
                conn.execute(
                    "UPDATE historical_metadata SET databricks_run_url = %s WHERE metadata_id = %s",
                    (databricks_url, metadata_id),
                )
            return changed == 1

        return self.transaction(work)

    # -- generic status and history writes (the spec's methods) ------------------------

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
        overwrites a load that finished meanwhile. Returns whether the row changed. Load
        runs use the fenced ``start_load`` / ``record_load_*`` instead.
        """
        now = self.now()
        guard = sql.SQL(" AND last_status = %(expected)s" if expected else "")
        query = (
            sql.SQL(
                "UPDATE table_control SET last_status = %(status)s,"
                " last_status_date_time = %(now)s, last_status_message = %(message)s,"
                " last_load_date_time = CASE WHEN %(status)s = 'In Progress' THEN %(now)s"
                "   ELSE last_load_date_time END,"
                " last_dagster_run = COALESCE(%(url)s, last_dagster_run), updated_at = %(now)s"
                " WHERE config_id = %(id)s"
            )
            + guard
        )
        params = {
            "status": status.value if status else None,
            "now": now,
            "message": message,
            "url": dagster_run_url,
            "id": config_id,
            "expected": expected.value if expected else None,
        }
        return self.transaction(lambda conn: conn.execute(query, params).rowcount == 1)

    def insert_initial_metadata(
        self,
        config_id: int,
        control_key: str,
        load_strategy: str,
        watermark_before: str | None = None,
    ) -> int:
        """Open a history record at queue time and make it the row's claim (status
        ``Queued``); return its ``metadata_id``. ``claim`` does this for a whole batch."""
        now = self.now()

        def work(conn: Connection) -> int:
            row = conn.execute(
                "INSERT INTO historical_metadata (config_id, control_key, status, queued_at,"
                " load_strategy, watermark_before) VALUES (%s, %s, 'Queued', %s, %s, %s)"
                " RETURNING metadata_id",
                (config_id, control_key, now, load_strategy, watermark_before),
            ).fetchone()
            assert row is not None
            conn.execute(
                "UPDATE table_control SET last_status = 'Queued', last_status_date_time = %s,"
                " claim_metadata_id = %s, claim_run_id = NULL, updated_at = %s"
                " WHERE config_id = %s",
                (now, row["metadata_id"], now, config_id),
            )
            return int(row["metadata_id"])

        return self.transaction(work)

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
        self.transaction(lambda conn: conn.execute(query, {**fields, "metadata_id": metadata_id}))

    # -- retry analysis outcomes ---------------------------------------------------------

    def reset_for_retry(
        self, config_id: int, reason: str, failed_at: datetime | None = None
    ) -> bool:
        """Clear the status so the table is picked up once its backoff has passed.

        Applies only while the row is still ``Failed`` (and, with ``failed_at``, still the
        failure that was analysed) and not flagged for review; returns whether it did.
        The failure itself was counted in ``retry_count`` when it happened.
        """
        return self._decide(
            config_id,
            failed_at,
            "last_status = NULL, last_status_message = %(reason)s",
            reason,
        )

    def mark_for_review(
        self, config_id: int, reason: str, failed_at: datetime | None = None
    ) -> bool:
        """Keep ``Failed`` and flag the table, so nothing picks it until a person resets it."""
        return self._decide(
            config_id,
            failed_at,
            "last_status_message = %(reason)s, requires_review = true",
            reason,
        )

    def _decide(
        self, config_id: int, failed_at: datetime | None, assignments: LiteralString, reason: str
    ) -> bool:
        now = self.now()
        query = (
            sql.SQL("UPDATE table_control SET ")
            + sql.SQL(assignments)
            + sql.SQL(
                ", last_status_date_time = %(now)s, updated_at = %(now)s"
                " WHERE config_id = %(id)s AND last_status = 'Failed' AND NOT requires_review"
                " AND (%(failed_at)s::timestamptz IS NULL OR last_status_date_time = %(failed_at)s)"
            )
        )
        params = {"reason": reason, "now": now, "id": config_id, "failed_at": failed_at}
        return self.transaction(lambda conn: conn.execute(query, params).rowcount == 1)

    def reset_table(self, control_key: str) -> bool:
        """The operator's reset after a review: status NULL, retries 0, due now.

        Refused (returns False) while a load is ``Queued`` or ``In Progress``.
        """
        now = self.now()
        return self.transaction(
            lambda conn: (
                conn.execute(
                    "UPDATE table_control SET last_status = NULL, last_status_date_time = %(now)s,"
                    " last_status_message = 'Reset by an operator', retry_count = 0,"
                    " requires_review = false, next_load_date_time = %(now)s,"
                    " updated_at = %(now)s WHERE control_key = %(key)s"
                    " AND (last_status IS NULL OR last_status NOT IN ('Queued', 'In Progress'))",
                    {"now": now, "key": control_key},
                ).rowcount
                == 1
            )
        )

    # -- landing tables -----------------------------------------------------------------

    def mark_staging_processed(self, config_ids: Iterable[int]) -> int:
        ids = list(config_ids)
        return self.transaction(
            lambda conn: (
                conn.execute(
                    "UPDATE table_control SET staging_model_processed = true, updated_at = %s"
                    " WHERE config_id = ANY(%s)",
                    (self.now(), ids),
                ).rowcount
            )
        )

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

        def work(conn: Connection) -> int:
            row = conn.execute(query, values).fetchone()
            assert row is not None
            return int(row["config_id"])

        return self.transaction(work)

    def deactivate_unlisted(self, registered_by: str, keep: Iterable[str]) -> list[str]:
        """Deactivate tables ``registered_by`` one source that it no longer lists."""
        keys = list(keep)
        return self.transaction(lambda conn: self._deactivate_unlisted(conn, registered_by, keys))

    def sync_registrations(
        self, source: str, registrations: Sequence[TableRegistration], complete: bool = True
    ) -> SyncResult | None:
        """Make ``table_control`` match the tables ``source`` declares, if they changed.

        A digest of the declarations is kept per source, so an unchanged set costs one read.
        Returns ``None`` when nothing changed. Unlisted tables are deactivated only after a
        clean sync of a non-empty, ``complete`` set: a declaration that failed (or failed
        to parse, ``complete=False``) or an empty set never deactivates every table.
        """
        payload = json.dumps([r.__dict__ for r in registrations], sort_keys=True, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        row = self.transaction(
            lambda conn: conn.execute(
                "SELECT digest FROM registration_sync WHERE source = %s", (source,)
            ).fetchone()
        )
        if complete and row and row["digest"] == digest:
            return None
        ids: list[int] = []
        failures: list[str] = []
        for registration in registrations:
            try:
                ids.append(self.register_table(registration, registered_by=source))
            except (ValueError, psycopg.IntegrityError, psycopg.DataError) as exc:
                failures.append(f"{registration.control_key}: {_first_line(exc)}")
        keep = [r.control_key for r in registrations]

        def work(conn: Connection) -> SyncResult:
            if failures or not complete:
                held = "some declarations could not be read or written"
                return SyncResult(ids, [], failures, f"no table deactivated: {held}")
            if not registrations:
                active = conn.execute(
                    "SELECT count(*) AS n FROM table_control WHERE registered_by = %s"
                    " AND is_active",
                    (source,),
                ).fetchone()
                if active and active["n"]:
                    return SyncResult(
                        [],
                        [],
                        [],
                        f"no table deactivated: {source} declares no table, but "
                        f"{active['n']} of its tables are active (deactivate them in SQL "
                        "if that is intended)",
                    )
            gone = self._deactivate_unlisted(conn, source, keep)
            conn.execute(
                "INSERT INTO registration_sync (source, digest, synced_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (source) DO UPDATE SET digest = EXCLUDED.digest,"
                " synced_at = EXCLUDED.synced_at",
                (source, digest, self.now()),
            )
            return SyncResult(ids, gone)

        return self.transaction(work)

    def _deactivate_unlisted(
        self, conn: Connection, registered_by: str, keep: list[str]
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
        statement = sql.SQL(query) if isinstance(query, str) else query
        return self.transaction(
            lambda conn: [_table(row) for row in conn.execute(statement, params).fetchall()]
        )


def _stale_message(config_id: int, metadata_id: int, current: Mapping[str, Any] | None) -> str:
    if current is None:
        return f"config_id {config_id} is no longer in table_control: this run changes nothing"
    return (
        f"{current['control_key']}: claim {metadata_id} is stale (the row is "
        f"{current['last_status'] or 'not queued'} under claim {current['claim_metadata_id']}): "
        "this run started too late, or was retried or re-executed, and changes nothing"
    )


def _table(row: Mapping[str, Any]) -> TableControl:
    fields = TableControl.__dataclass_fields__
    return TableControl(**{name: row[name] for name in fields if name in row})
