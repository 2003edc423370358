"""Tabular files to Parquet with normalised headers (``Median Age (years)`` -> ``median_age_years``)."""

import re
from dataclasses import dataclass
from pathlib import Path

TABULAR_FORMATS = {"CSV": "csv", "PARQUET": "parquet"}


class TabularFileError(ValueError):
    """A tabular file that cannot be read as its manifest says."""


@dataclass(frozen=True)
class TabularResult:
    path: Path
    row_count: int
    columns: list[str]
    header_mapping: dict[str, str]


def normalise_headers(headers: list[str]) -> list[str]:
    """Clean names in order: lower snake case, ASCII letters/digits, unique, non-empty."""
    names: list[str] = []
    used: set[str] = set()
    for position, original in enumerate(headers, start=1):
        clean = re.sub(r"[^0-9a-z]+", "_", original.strip().lower()).strip("_")
        if not clean:
            clean = f"column_{position}"
        if clean[0].isdigit():
            clean = f"c_{clean}"
        candidate, suffix = clean, 2
        while candidate in used:
            candidate, suffix = f"{clean}_{suffix}", suffix + 1
        used.add(candidate)
        names.append(candidate)
    return names


def tabular_to_parquet(source: Path, file_format: str, destination: Path) -> TabularResult:
    """Read CSV or Parquet, rename the columns, write zstd Parquet."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    kind = TABULAR_FORMATS.get(file_format.strip().upper())
    if kind is None:
        raise TabularFileError(
            f"{source.name}: format {file_format!r} is not supported for tabular data; "
            f"use one of {sorted(TABULAR_FORMATS)}"
        )
    try:
        table = pacsv.read_csv(source) if kind == "csv" else pq.read_table(source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TabularFileError(f"{source.name}: not a readable {file_format} file ({exc})") from exc
    if table.num_columns == 0:
        raise TabularFileError(f"{source.name}: has no columns")
    original = table.column_names
    table = table.rename_columns(normalise_headers(original))
    pq.write_table(table, destination, compression="zstd")
    mapping = dict(zip(original, table.column_names, strict=True))
    return TabularResult(destination, table.num_rows, table.column_names, mapping)
