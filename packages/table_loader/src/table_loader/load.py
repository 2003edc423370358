"""One table load: validate, stream the source, write the destination, report."""

import dataclasses
import time
from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from lakebase.watermark import watermark_after_load, watermark_before_load
from table_loader.delta_sink import (
    column_maximum,
    delta_table_exists,
    describe_delta_table,
    write_batches,
)
from table_loader.postgres_source import connect, open_batches, source_schema, target_schema
from table_loader.request import LoadError, LoadRequest, LoadResult, validate


class _Tracker:
    """Counts rows and keeps the running maximum of the watermark column as batches pass.

    The Delta writer pulls the batches from native code, which turns an exception raised
    here into its own error: the first one is kept so the load can raise it as it was.
    """

    def __init__(self, column: str | None) -> None:
        self.column = column
        self.rows = 0
        self.maximum: object = None
        self.error: Exception | None = None

    def watch(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        try:
            for batch in batches:
                self.rows += batch.num_rows
                if self.column is not None and batch.num_rows:
                    top = pc.max(batch.column(self.column)).as_py()  # pyright: ignore[reportAttributeAccessIssue]
                    if top is not None and (self.maximum is None or top > self.maximum):  # type: ignore[operator]
                        self.maximum = top
                yield batch
        except Exception as exc:
            self.error = exc
            raise


def _source_error(request: LoadRequest, error: Exception | None) -> Exception | None:
    """What the source raised while the writer pulled from it, as the load's error."""
    if isinstance(error, pa.ArrowInvalid):
        return LoadError(
            f"{request.source_schema}.{request.source_table}: a value does not fit its "
            f"column type ({error})"
        )
    return error


def _with_starting_watermark(request: LoadRequest) -> LoadRequest:
    """An incremental request starts from its recorded watermark; with none recorded and rows
    already in the target, from the target's maximum (read once, logged)."""
    if not request.incremental or request.incremental_column is None:
        return request
    uri, column = request.destination_uri, request.incremental_column
    before = watermark_before_load(
        request.control_key,
        column,
        request.incremental_value,
        (lambda: column_maximum(uri, column)) if delta_table_exists(uri) else None,
    )
    return dataclasses.replace(request, incremental_value=before)


def run_load(request: LoadRequest) -> LoadResult:
    started = time.monotonic()
    validate(request)
    request = _with_starting_watermark(request)
    with connect(request) as conn:
        schema = source_schema(conn, request)
        tracker = _Tracker(request.incremental_column)
        with open_batches(conn, request, schema) as batches:
            try:
                write_batches(
                    request.destination_uri,
                    target_schema(schema),
                    tracker.watch(batches),
                    overwrite=not request.incremental,
                )
            except Exception as exc:
                raise _source_error(request, tracker.error) or exc from None
    return LoadResult(
        rows_loaded=tracker.rows,
        watermark=watermark_after_load(request.incremental_value, tracker.maximum),
        duration_seconds=time.monotonic() - started,
        destination_uri=request.destination_uri,
        columns=describe_delta_table(request.destination_uri),
    )
