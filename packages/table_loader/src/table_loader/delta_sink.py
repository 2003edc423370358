"""Writes record batches into a Delta table, streaming, in one commit."""

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, WriterProperties, write_deltalake

from table_loader.request import LoadError

# Row groups of 64k rows keep the Parquet writer's buffer small whatever the table size.
_WRITER = WriterProperties(max_row_group_size=65_536, write_batch_size=8_192)


def write_batches(
    uri: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch], overwrite: bool
) -> None:
    """Replace (``overwrite``) or append to the Delta table at ``uri``."""
    if "://" not in uri:
        Path(uri).mkdir(parents=True, exist_ok=True)
    reader = pa.RecordBatchReader.from_batches(schema, iter(batches))
    write_deltalake(
        uri,
        reader,
        mode="overwrite" if overwrite else "append",
        schema_mode="overwrite" if overwrite else None,
        writer_properties=_WRITER,
        target_file_size=128 << 20,
    )


def delta_table_exists(uri: str) -> bool:
    return DeltaTable.is_deltatable(uri)


def column_maximum(uri: str, column: str) -> object:
    """The maximum of ``column`` over the Delta table at ``uri`` (reads that column whole)."""
    values = DeltaTable(uri).to_pyarrow_dataset().to_table(columns=[column]).column(0)
    return pc.max(values).as_py()  # pyright: ignore[reportAttributeAccessIssue]


def describe_delta_table(uri: str) -> list[tuple[str, str]]:
    """(column, Arrow type) of the Delta table at ``uri``."""
    try:
        # deltalake hands out an arro3 schema; pyarrow reads it through the C data interface
        schema = pa.schema(DeltaTable(uri).schema().to_arrow())
    except Exception as exc:  # deltalake raises TableNotFoundError and friends
        raise LoadError(f"no Delta table at {uri}: {exc}") from None
    return [(field.name, str(field.type)) for field in schema]
