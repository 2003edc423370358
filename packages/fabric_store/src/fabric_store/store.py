"""``FabricStore``: write and read report results, one atomic replace per report and due time."""

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from fabric_store.location import TableLocation

RESULTS_SCHEMA = pa.schema(
    [
        pa.field("report_id", pa.int64(), nullable=False),
        pa.field("due_time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("fireant_job_id", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("row_index", pa.int64(), nullable=False),
        pa.field("payload", pa.string(), nullable=False),
        pa.field("written_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
BATCH_ROWS = 10_000
# One encoder for every row: json.dumps with options builds a new encoder on each call.
_encode_json = json.JSONEncoder(sort_keys=True, allow_nan=False, separators=(",", ":")).encode
COMMIT_ATTEMPTS = 5


class FabricWriteError(RuntimeError):
    """A write did not commit; the table is as it was before it."""


@dataclass(frozen=True)
class WriteResult:
    """One committed replace: the table, its new version and the rows now stored for the key."""

    table_uri: str
    report_id: int
    due_time: dt.datetime
    rows_written: int
    version: int


@dataclass(frozen=True)
class ResultRow:
    report_id: int
    due_time: dt.datetime
    fireant_job_id: str
    run_id: str
    row_index: int
    payload: dict[str, Any]
    written_at: dt.datetime


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"due_time must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(dt.UTC)


def _key_predicate(report_id: int, due_time: dt.datetime) -> str:
    stamp = _utc(due_time).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"report_id = {int(report_id)} AND due_time = '{stamp}'"


class FabricStore:
    """The report results table (``RESULTS_SCHEMA``) at ``location``.

    A row's ``payload`` is the Fireant result row as JSON, so reports with different result
    columns share one table; ``report_id`` and ``due_time`` identify the run it belongs to.
    """

    def __init__(self, location: TableLocation) -> None:
        self.location = location

    @property
    def table_uri(self) -> str:
        return self.location.uri

    def write_report_results(
        self,
        *,
        report_id: int,
        due_time: dt.datetime,
        fireant_job_id: str,
        run_id: str,
        rows: Iterable[Mapping[str, Any]],
    ) -> WriteResult:
        """Replace the rows of (``report_id``, ``due_time``) with ``rows`` in one commit.

        Rows become Arrow batches of ``BATCH_ROWS`` as deltalake writes them (a one-shot
        iterator is read into a list first, since a commit conflict replays the write). If
        any row cannot be stored (not JSON, NaN), the iterator raises, or the storage fails,
        nothing is committed and ``FabricWriteError`` names the report, due time and cause.
        Commit conflicts with concurrent writers (of this key or others) are retried; of
        two runs racing on one key, one run's rows remain. ``WriteResult.version`` is the
        table's version read right after the commit.
        """
        from deltalake import write_deltalake
        from deltalake.exceptions import CommitFailedError

        due = _utc(due_time)
        written_at = dt.datetime.now(dt.UTC)
        counted = [0]

        def batches() -> Iterator[pa.RecordBatch]:
            counted[0] = 0
            chunk: list[str] = []
            for row in rows:
                try:
                    chunk.append(_encode_json(row if isinstance(row, dict) else dict(row)))
                except (TypeError, ValueError) as exc:
                    raise FabricWriteError(
                        f"result row {counted[0] + len(chunk)} of report {report_id} at "
                        f"{due.isoformat()} cannot be stored as JSON: {exc}"
                    ) from None
                if len(chunk) == BATCH_ROWS:
                    yield self._batch(
                        report_id, due, fireant_job_id, run_id, written_at, counted[0], chunk
                    )
                    counted[0] += len(chunk)
                    chunk = []
            if chunk or counted[0] == 0:
                yield self._batch(
                    report_id, due, fireant_job_id, run_id, written_at, counted[0], chunk
                )
                counted[0] += len(chunk)

        if self.location.is_local:
            Path(self.location.uri.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
        try:
            # A commit conflict replays the write: a one-shot iterator is read once, up front.
            if not isinstance(rows, list | tuple):
                rows = list(rows)
            for attempt in Retrying(
                stop=stop_after_attempt(COMMIT_ATTEMPTS),
                wait=wait_exponential(multiplier=0.05, max=2),
                retry=retry_if_exception_type(CommitFailedError),
                reraise=True,
            ):
                with attempt:
                    write_deltalake(
                        self.location.uri,
                        pa.RecordBatchReader.from_batches(RESULTS_SCHEMA, batches()),
                        mode="overwrite",
                        predicate=_key_predicate(report_id, due),
                        storage_options=dict(self.location.storage_options) or None,
                    )
        except FabricWriteError:
            raise
        except Exception as exc:
            raise FabricWriteError(
                f"writing results of report {report_id} at {due.isoformat()} to "
                f"{self.location.uri} failed ({type(exc).__name__}: {str(exc)[:300]}); "
                "nothing was committed"
            ) from exc
        return WriteResult(self.location.uri, report_id, due, counted[0], self.version())

    @staticmethod
    def _batch(
        report_id: int,
        due: dt.datetime,
        job_id: str,
        run_id: str,
        written_at: dt.datetime,
        start: int,
        payloads: list[str],
    ) -> pa.RecordBatch:
        n = len(payloads)
        stamp = pa.timestamp("us", tz="UTC")
        return pa.RecordBatch.from_arrays(
            [
                pa.repeat(pa.scalar(report_id, pa.int64()), n),
                pa.repeat(pa.scalar(due, stamp), n),
                pa.repeat(pa.scalar(job_id, pa.string()), n),
                pa.repeat(pa.scalar(run_id, pa.string()), n),
                pa.array(range(start, start + n), pa.int64()),
                pa.array(payloads, pa.string()),
                pa.repeat(pa.scalar(written_at, stamp), n),
            ],
            schema=RESULTS_SCHEMA,
        )

    def exists(self) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(
            self.location.uri, storage_options=dict(self.location.storage_options) or None
        )

    def version(self) -> int:
        """The table's current Delta version (-1 when there is no table yet)."""
        if not self.exists():
            return -1
        return self._table().version()

    def read_report_results(self, report_id: int, due_time: dt.datetime) -> list[ResultRow]:
        """The stored rows of (``report_id``, ``due_time``), in ``row_index`` order."""
        if not self.exists():
            return []
        import pyarrow.dataset as pads

        due = _utc(due_time)
        wanted = (pads.field("report_id") == pa.scalar(report_id, pa.int64())) & (
            pads.field("due_time") == pa.scalar(due, pa.timestamp("us", tz="UTC"))
        )
        table = self._table().to_pyarrow_dataset().to_table(filter=wanted)
        selected = table.sort_by("row_index").to_pylist()
        return [ResultRow(**{**row, "payload": json.loads(row["payload"])}) for row in selected]

    def count_rows(self) -> int:
        """All rows in the table (0 when there is none)."""
        if not self.exists():
            return 0
        return self._table().to_pyarrow_dataset().count_rows()

    def _table(self) -> Any:
        from deltalake import DeltaTable

        return DeltaTable(
            self.location.uri, storage_options=dict(self.location.storage_options) or None
        )
