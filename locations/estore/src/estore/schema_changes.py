"""Schema-change detection for incremental dbt models.

An incremental model only appends and upserts, so when a source's columns change (a column
added, dropped or retyped) its existing rows keep the old shape and it needs a full refresh.
Each successful materialization of an incremental model records the columns of its upstream
sources (``estore/source_columns`` metadata); before the next run they are compared with the
warehouse's current columns and every model whose sources changed is named, with the columns.
"""

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

SOURCE_COLUMNS_METADATA_KEY = "estore/source_columns"

Columns = Mapping[str, str]
"""Column name -> warehouse type, in table order."""


@dataclass(frozen=True)
class SourceTable:
    """Where a dbt source lives in the warehouse."""

    unique_id: str
    database: str | None
    schema: str
    identifier: str

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.identifier}"


@dataclass(frozen=True)
class ColumnChange:
    """How one source's columns differ from those a model was last built from."""

    source: str
    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    retyped: dict[str, tuple[str, str]] = field(default_factory=dict)

    def describe(self) -> str:
        parts = []
        if self.added:
            parts.append("added " + ", ".join(f"{c} ({t})" for c, t in self.added.items()))
        if self.removed:
            parts.append("removed " + ", ".join(f"{c} ({t})" for c, t in self.removed.items()))
        if self.retyped:
            parts.append(
                "retyped " + ", ".join(f"{c} ({a} -> {b})" for c, (a, b) in self.retyped.items())
            )
        return f"{self.source} columns " + "; ".join(parts)


@dataclass(frozen=True)
class FullRefreshNeeded:
    model: str
    changes: tuple[ColumnChange, ...]

    def describe(self) -> str:
        return f"{self.model} needs a full refresh: " + "; ".join(
            c.describe() for c in self.changes
        )


def diff_columns(source: str, before: Columns, now: Columns) -> ColumnChange | None:
    """The change from ``before`` to ``now`` (names compared case-insensitively), or None."""
    old = {k.lower(): v for k, v in before.items()}
    new = {k.lower(): v for k, v in now.items()}
    change = ColumnChange(
        source=source,
        added={c: t for c, t in new.items() if c not in old},
        removed={c: t for c, t in old.items() if c not in new},
        retyped={c: (old[c], t) for c, t in new.items() if c in old and old[c] != t},
    )
    return change if (change.added or change.removed or change.retyped) else None


def upstream_sources(manifest: Mapping[str, Any], unique_id: str) -> set[str]:
    """Every source ``unique_id`` reads, directly or through other models."""
    parents = manifest["parent_map"]
    seen: set[str] = set()
    stack = [unique_id]
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return {p for p in seen if p.startswith("source.")}


def incremental_models(manifest: Mapping[str, Any], unique_ids: Set[str]) -> dict[str, set[str]]:
    """The incremental models among ``unique_ids``, each with the sources upstream of it."""
    return {
        uid: upstream_sources(manifest, uid)
        for uid in sorted(unique_ids)
        if manifest["nodes"].get(uid, {}).get("config", {}).get("materialized") == "incremental"
    }


def source_table(manifest: Mapping[str, Any], unique_id: str) -> SourceTable:
    node = manifest["sources"][unique_id]
    return SourceTable(
        unique_id=unique_id,
        database=node.get("database"),
        schema=node["schema"],
        identifier=node.get("identifier") or node["name"],
    )


def find_full_refresh_needed(
    models: Mapping[str, Set[str]],
    recorded: Mapping[str, Mapping[str, Columns] | None],
    current: Mapping[str, Columns],
    names: Mapping[str, str],
) -> list[FullRefreshNeeded]:
    """Models whose sources' columns differ from those recorded at their last build.

    ``models`` maps a model to its sources, ``recorded`` a model to the source columns it was
    last built from (None: never recorded, nothing to compare), ``current`` a source to its
    columns now, ``names`` a model or source to its display name.
    """
    needed = []
    for model, sources in models.items():
        before = recorded.get(model)
        if before is None:
            continue
        changes = tuple(
            change
            for source in sorted(sources)
            if source in before and source in current
            if (change := diff_columns(names[source], before[source], current[source]))
        )
        if changes:
            needed.append(FullRefreshNeeded(model=names.get(model, model), changes=changes))
    return needed


class ColumnReader(Protocol):
    def columns(self, table: SourceTable) -> dict[str, str]: ...


class DuckDBColumnReader:
    """Reads a table's columns from the local DuckDB warehouse (read-only)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def columns(self, table: SourceTable) -> dict[str, str]:
        import duckdb

        if not self.path.exists():
            raise FileNotFoundError(
                f"The estore DuckDB warehouse {self.path} does not exist: load a file first "
                f"(gcs_to_bq_load_job) or set ESTORE_DUCKDB_PATH."
            )
        with duckdb.connect(str(self.path), read_only=True) as con:
            rows = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [table.schema, table.identifier],
            ).fetchall()
        return {str(name): str(kind) for name, kind in rows}


class BigQueryColumnReader:
    """Reads a table's columns from BigQuery (credentials as dbt's: ``ESTORE_BQ_KEYFILE``)."""

    def __init__(self, project: str, keyfile: str | None) -> None:
        self.project = project
        self.keyfile = keyfile

    def columns(self, table: SourceTable) -> dict[str, str]:
        # dbt-bigquery (the `bigquery` extra) brings google-cloud-bigquery.
        from google.cloud import bigquery  # pyright: ignore[reportAttributeAccessIssue]

        client = (
            bigquery.Client.from_service_account_json(self.keyfile, project=self.project)
            if self.keyfile
            else bigquery.Client(project=self.project)
        )
        # The project comes from the runtime environment, not the manifest: an image's
        # manifest may have been parsed with a placeholder project.
        found = client.get_table(f"{self.project}.{table.schema}.{table.identifier}")
        return {f.name: f.field_type for f in found.schema}
