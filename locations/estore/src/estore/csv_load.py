"""Append one landed CSV file to a warehouse table in DuckDB: checked, atomic, idempotent.

The rows are parsed by DuckDB's own CSV reader straight from disk (flat memory, any size) and
inserted in one transaction together with a ledger row keyed by the file's URI and
generation. A file that fails leaves nothing behind; a file already in the ledger is not
appended again, so a retried or re-executed run never duplicates rows.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

EVENT_COLUMNS: dict[str, str] = {
    "event_time": "TIMESTAMP",
    "event_type": "VARCHAR",
    "product_id": "BIGINT",
    "category_id": "BIGINT",
    "category_code": "VARCHAR",
    "brand": "VARCHAR",
    "price": "DOUBLE",
    "user_id": "BIGINT",
    "user_session": "VARCHAR",
}
"""``estore_raw.events``: the columns BigQuery's autodetect gives the landed CSV files."""

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
LEDGER_TABLE = "_load_ledger"
LOADED_AT = "_loaded_at"
"""The column every load sets to its ledger's ``loaded_at``: dbt's incremental watermark."""
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LINE = re.compile(r"CSV Error on Line: (\d+)")


class BadInputError(ValueError):
    """A file that cannot be loaded as it is; the message names the file and the line."""


@dataclass(frozen=True)
class LoadResult:
    table: str
    rows: int
    already_loaded: bool


def split_table(table: str) -> tuple[str, str]:
    """``schema.table``, both plain identifiers (they are interpolated into SQL)."""
    parts = table.split(".")
    if len(parts) != 2 or not all(_IDENTIFIER.match(part) for part in parts):
        raise ValueError(f"destination table {table!r} must be schema.table (letters, digits, _)")
    return parts[0], parts[1]


def _decoded_lines(path: Path, source: str, count: int) -> list[str]:
    """The first ``count`` lines as text; a line that is not UTF-8 is refused by number."""
    lines = []
    with path.open("rb") as handle:
        for number in range(1, count + 1):
            raw = handle.readline()
            try:
                lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError as exc:
                where = "line 1 (header)" if number == 1 else f"line {number}"
                raise BadInputError(
                    f"{source}: {where}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                    f"column {exc.start + 1}); save the file as UTF-8 and upload it again"
                ) from None
    return lines


def check_header(path: Path, source: str, columns: dict[str, str]) -> None:
    """The first line must name the columns, in order; a second line must exist."""
    first, second = _decoded_lines(path, source, 2)
    expected = list(columns)
    if not first.strip():
        raise BadInputError(
            f"{source}: the file is empty; expected a header line {','.join(expected)} and rows"
        )
    header = [name.strip() for name in next(csv.reader([first]))]
    if header != expected:
        missing = [name for name in expected if name not in header]
        unexpected = [name for name in header if name not in expected]
        problems = []
        if missing:
            problems.append(f"missing columns {missing}")
        if unexpected:
            problems.append(f"unexpected columns {unexpected}")
        if not problems:
            problems.append(f"columns in the wrong order {header}")
        raise BadInputError(
            f"{source}: line 1 (header): {'; '.join(problems)}; expected exactly "
            f"{','.join(expected)}"
        )
    if not second.strip():
        raise BadInputError(f"{source}: the file has a header line but no data rows")


def explain(error: Exception, source: str) -> str:
    """DuckDB's CSV error as one line: file, line number, what was wrong."""
    text = str(error)
    line = _LINE.search(text)
    reasons = [
        part.strip()
        for part in text.splitlines()
        if part.startswith(
            (
                "Error when converting",
                "Expected Number of Columns",
                "Original Line",
                "Invalid unicode",
            )
        )
    ]
    where = f"line {line.group(1)}" if line else "a row"
    reason = "; ".join(reasons) if reasons else text.splitlines()[0]
    return f"{source}: {where}: {reason}"


def ensure_tables(con: "duckdb.DuckDBPyConnection", table: str, columns: dict[str, str]) -> None:
    """The raw table (with ``_loaded_at``, added to older tables too) and the ledger."""
    schema, name = split_table(table)
    body = ", ".join(f'"{column}" {sql_type}' for column, sql_type in columns.items())
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    con.execute(f'CREATE TABLE IF NOT EXISTS "{schema}"."{name}" ({body}, "{LOADED_AT}" TIMESTAMP)')
    con.execute(f'ALTER TABLE "{schema}"."{name}" ADD COLUMN IF NOT EXISTS "{LOADED_AT}" TIMESTAMP')
    con.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}"."{LEDGER_TABLE}" ('
        "source_uri VARCHAR NOT NULL, generation VARCHAR NOT NULL, table_name VARCHAR NOT NULL, "
        "row_count BIGINT NOT NULL, run_id VARCHAR, loaded_at TIMESTAMP NOT NULL, "
        "PRIMARY KEY (source_uri, generation, table_name))"
    )


def load_csv(
    con: "duckdb.DuckDBPyConnection",
    path: Path,
    source_uri: str,
    generation: str,
    table: str,
    run_id: str | None = None,
    columns: dict[str, str] = EVENT_COLUMNS,
) -> LoadResult:
    """Append ``path`` to ``table`` once per (``source_uri``, ``generation``), all or nothing.

    Rows are inserted by column name, so a raw table that gained columns (the full-refresh
    flow) still takes the files that lack them (NULL there). Every row of the file gets the
    same ``_loaded_at``, the ledger's ``loaded_at``: the watermark incremental models read.
    """
    import duckdb

    schema, name = split_table(table)
    ensure_tables(con, table, columns)
    ledger = f'"{schema}"."{LEDGER_TABLE}"'
    key = [source_uri, generation, table]
    done = con.execute(
        f"SELECT row_count FROM {ledger} WHERE source_uri = ? AND generation = ? AND table_name = ?",  # noqa: S608 - identifiers checked by split_table
        key,
    ).fetchone()
    if done is not None:
        return LoadResult(table, int(done[0]), already_loaded=True)
    check_header(path, source_uri, columns)
    types = ", ".join(f"'{column}': '{sql_type}'" for column, sql_type in columns.items())
    names = ", ".join(f'"{column}"' for column in columns)
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            # now() is the transaction's start: one timestamp for every row and the ledger.
            inserted = con.execute(
                f'INSERT INTO "{schema}"."{name}" ({names}, "{LOADED_AT}") '  # noqa: S608 - identifiers checked by split_table
                f"SELECT {names}, now()::TIMESTAMP FROM read_csv(?, header = true, "
                f"delim = ',', quote = '\"', auto_detect = false, columns = {{{types}}}, "
                f"timestampformat = '{TIMESTAMP_FORMAT}')",
                [str(path)],
            ).fetchone()
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            raise BadInputError(explain(exc, source_uri)) from None
        except duckdb.Error as exc:
            # The table refuses the rows as a whole (a constraint, a column the files lack).
            raise BadInputError(
                f"{source_uri}: cannot append to {table}: {str(exc).splitlines()[0]}"
            ) from None
        rows = int(inserted[0]) if inserted else 0
        con.execute(
            f"INSERT INTO {ledger} VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)",  # noqa: S608 - identifiers checked by split_table
            [*key, rows, run_id],
        )
        con.execute("COMMIT")
    except duckdb.ConstraintException:
        con.execute("ROLLBACK")
        # Another writer loaded the same file and generation first.
        return LoadResult(table, 0, already_loaded=True)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return LoadResult(table, rows, already_loaded=False)
