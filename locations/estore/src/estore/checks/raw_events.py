"""``rows_match_file``: a load appended exactly the rows its landed CSV file holds.

The load op counts the file's records with Python's own CSV reader (independent of the
warehouse's parser), records both counts on the raw table's materialization and logs the
check's evaluation. The declared check re-reads the latest materialization, so an operator
can evaluate it again from the UI at any time.
"""

import csv
from pathlib import Path

import dagster as dg

from platform_alerting import preview

ROWS_CHECK = "rows_match_file"
FILE_ROWS = "file_rows"
ROWS = "rows"


def count_file_rows(path: Path) -> int:
    """The data records of a CSV file (a quoted field may span lines), header excluded."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return max(sum(1 for record in csv.reader(handle) if record) - 1, 0)


def file_preview(path: Path) -> dg.MetadataValue:
    """The file's header and first rows, as the operator's preview."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        records = csv.reader(handle)
        header = next(records, [])
        return preview(header, (record for record in records if record))


def rows_match_file(
    key: dg.AssetKey, source: str, file_rows: int, rows: int
) -> dg.AssetCheckEvaluation:
    """Pass when the table took every record of the file, no more and no fewer."""
    passed = file_rows == rows
    description = (
        f"{source}: {rows} rows loaded, as in the file"
        if passed
        else f"{source}: the file holds {file_rows} rows but {rows} were loaded"
    )
    return dg.AssetCheckEvaluation(
        asset_key=key,
        check_name=ROWS_CHECK,
        passed=passed,
        description=description,
        metadata={"source": source, FILE_ROWS: file_rows, ROWS: rows},
    )


def build_rows_match_file_check(key: dg.AssetKey) -> dg.AssetChecksDefinition:
    """The check as the UI shows it, evaluated from the table's latest materialization."""

    @dg.asset_check(
        asset=key,
        name=ROWS_CHECK,
        description="The latest load appended as many rows as its landed CSV file holds.",
    )
    def check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        event = context.instance.get_latest_materialization_event(key)
        materialization = event.asset_materialization if event else None
        metadata = materialization.metadata if materialization else {}
        if FILE_ROWS not in metadata or ROWS not in metadata:
            return dg.AssetCheckResult(
                passed=True,
                description="No load with a file row count recorded yet.",
            )
        source = metadata.get("source")
        result = rows_match_file(
            key,
            str(source.value if source else key.to_user_string()),
            int(metadata[FILE_ROWS].value),  # type: ignore[arg-type]
            int(metadata[ROWS].value),  # type: ignore[arg-type]
        )
        return dg.AssetCheckResult(
            passed=result.passed, description=result.description, metadata=result.metadata
        )

    return check
