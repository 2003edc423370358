"""Materialization metadata an operator reads first, built the same way in every location."""

from collections.abc import Iterable, Sequence

import dagster as dg

PREVIEW_ROWS = 5
_CELL_CHARS = 60


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"


def preview(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> dg.MetadataValue:
    """The first ``PREVIEW_ROWS`` rows as a Markdown table (cells cut to 60 characters)."""
    lines = [
        "| " + " | ".join(_cell(column) for column in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for index, row in enumerate(rows):
        if index == PREVIEW_ROWS:
            break
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return dg.MetadataValue.md("\n".join(lines))
