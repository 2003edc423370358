"""``EstoreDbtProject``: dagster-dbt's ``DbtProjectComponent`` with the estore warehouse wired in.

Three additions to the stock component:

- dbt is started with the warehouse settings of the environment (the local DuckDB path);
- before dbt runs, incremental models whose source columns changed since their last build
  are alerted and the run fails with "needs a full refresh" and the columns named (a run tagged
  ``estore/dbt_full_refresh=true`` rebuilds them with ``--full-refresh`` instead);
- with no prepared state (a fresh clone, an image built without
  ``dg utils refresh-defs-state``), the state is prepared once, with a warning, rather than
  failing on a missing manifest.
"""

import asyncio
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._utils.env import using_dagster_dev
from dagster.components.utils.project_paths import get_local_state_path
from dagster_dbt import DbtCliResource, DbtProjectComponent
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_UNIQUE_ID_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
)

from estore.dbt_environment import exported_for_dbt
from estore.schema_changes import (
    SOURCE_COLUMNS_METADATA_KEY,
    BigQueryColumnReader,
    ColumnReader,
    DuckDBColumnReader,
    FullRefreshNeeded,
    find_full_refresh_needed,
    incremental_models,
    source_table,
)
from estore.settings import local_duckdb_path
from platform_alerting import Alert, sink_for_environment
from platform_config import current_environment

FULL_REFRESH_TAG = "estore/dbt_full_refresh"

logger = logging.getLogger(__name__)


class SchemaChangeError(dg.Failure):
    """Incremental models would be built on top of rows with another shape."""


@dataclass
class EstoreDbtProject(DbtProjectComponent):
    """The estore dbt project as Dagster assets, its manifest kept as component state."""

    alert_channel: str = "#estore-alerts"

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        state = get_local_state_path(self.defs_state_config.key, context.project_root)
        refreshed_by_dg = using_dagster_dev() and self.defs_state_config.refresh_if_dev
        if not state.exists() and not refreshed_by_dg:
            logger.warning(
                "No prepared dbt state for %s: running dbt parse now. Run "
                "`dg utils refresh-defs-state` in locations/estore (scripts/dev and image "
                "builds do) to load without parsing.",
                self.defs_state_config.key,
            )
            asyncio.run(self.refresh_state(context.project_root))
        return super().build_defs(context)

    def write_state_to_path(self, state_path: Path) -> None:
        with exported_for_dbt():
            super().write_state_to_path(state_path)

    def get_cli_args(self, context: dg.AssetExecutionContext) -> list[str]:
        args = super().get_cli_args(context)
        if full_refresh_requested(context) and "--full-refresh" not in args:
            args = [*args, "--full-refresh"]
        return args

    def execute(self, context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        manifest, _, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
        ids = {
            key: str(meta[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY])
            for key, meta in context.assets_def.metadata_by_key.items()
            if key in context.selected_asset_keys and DAGSTER_DBT_UNIQUE_ID_METADATA_KEY in meta
        }
        models = incremental_models(manifest, set(ids.values()))
        current = current_source_columns(manifest, models, column_reader())
        if not full_refresh_requested(context):
            recorded = {
                ids_key: recorded_source_columns(context.instance, key)
                for key, ids_key in ids.items()
                if ids_key in models
            }
            names = {uid: source_table(manifest, uid).name for uid in current} | {
                uid: manifest["nodes"][uid]["name"] for uid in models
            }
            needed = find_full_refresh_needed(models, recorded, current, names)
            if needed:
                raise_full_refresh_needed(needed, self.alert_channel, context.log)

        with exported_for_dbt():
            events = self._get_dbt_event_iterator(context, dbt)
        for event in events:
            if isinstance(event, dg.Output):
                uid = ids.get(context.assets_def.keys_by_output_name[event.output_name])
                if uid in models:
                    columns = {s: current[s] for s in sorted(models[uid]) if s in current}
                    event = event.with_metadata(
                        {
                            **event.metadata,
                            SOURCE_COLUMNS_METADATA_KEY: dg.MetadataValue.json(columns),
                        }
                    )
            yield event


def full_refresh_requested(context: dg.AssetExecutionContext) -> bool:
    return context.op_execution_context.run_tags.get(FULL_REFRESH_TAG, "").lower() == "true"


def column_reader() -> ColumnReader:
    """DuckDB locally; BigQuery with dbt's project and keyfile elsewhere."""
    if current_environment().is_local:
        return DuckDBColumnReader(local_duckdb_path())
    project = os.environ.get("ESTORE_BQ_PROJECT", "")
    if not project:
        raise dg.Failure("ESTORE_BQ_PROJECT is not set: dbt and the schema check need it.")
    return BigQueryColumnReader(project, os.environ.get("ESTORE_BQ_KEYFILE") or None)


def current_source_columns(
    manifest: Mapping[str, Any], models: Mapping[str, set[str]], reader: ColumnReader
) -> dict[str, dict[str, str]]:
    sources = sorted({s for upstream in models.values() for s in upstream})
    return {uid: reader.columns(source_table(manifest, uid)) for uid in sources}


def recorded_source_columns(
    instance: dg.DagsterInstance, key: dg.AssetKey
) -> dict[str, dict[str, str]] | None:
    """The source columns recorded with ``key``'s latest materialization, if any."""
    event = instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get(SOURCE_COLUMNS_METADATA_KEY) if materialization else None
    return value.value if isinstance(value, dg.JsonMetadataValue) else None  # type: ignore[return-value]


def raise_full_refresh_needed(
    needed: list[FullRefreshNeeded], channel: str, log: dg.DagsterLogManager
) -> None:
    """Alert, then fail the run before dbt touches the models."""
    title = f"estore dbt: {len(needed)} incremental model(s) need a full refresh"
    action = (
        f"launch dbt_job with the tag {FULL_REFRESH_TAG}=true (dbt build --full-refresh), "
        "after updating the models and sources.yml if needed"
    )
    text = "\n".join([title, *(n.describe() for n in needed), f"Rebuild them: {action}."])
    log.error(text)
    try:
        sink_for_environment(channel).send(
            Alert(
                kind="dbt_schema_change",
                location="estore",
                title=title,
                details={
                    **{n.model: n.describe().split(": ", 1)[1] for n in needed},
                    "Action": action,
                },
            )
        )
    except Exception as exc:  # the run still fails with the full message below
        log.error(f"The schema-change alert could not be sent: {exc}")
    raise SchemaChangeError(
        description=text, metadata={"models": dg.MetadataValue.json([n.model for n in needed])}
    )
