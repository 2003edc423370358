"""``dataloader__table_load``: loads one table, named by its run config, through Pipes."""

from typing import Any

import dagster as dg

from dataloader.links import dagster_run_url
from dataloader.pipes_outcome import read_outcome
from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseClient, Status

TABLE_LOAD_OP = "dataloader__table_load"
TABLE_LOAD_KEY = dg.AssetKey(TABLE_LOAD_OP)
LOAD_SCRIPT = "dataloader_pipe.py"


class DataloaderTableConfig(dg.Config):
    """One ``table_control`` row, as the master sensor sends it."""

    config_id: int
    control_key: str
    metadata_id: int
    source_catalog: str = ""
    source_schema_name: str
    source_table_name: str
    destination_catalog: str
    destination_schema_name: str
    destination_table_name: str
    db_type: str
    db_config_value: dict[str, Any] = {}
    db_kv_scope: str = ""
    load_strategy: str = "full"
    incremental_column: str | None = None
    incremental_value: str | None = None
    retry_count: int = 0


@dg.asset(
    name=TABLE_LOAD_OP,
    group_name="dataloader",
    kinds={"databricks", "postgres", "delta"},
    description="Loads the table a run's config names: Lakebase status, Pipes load, history.",
)
def dataloader_table_load(
    context: dg.AssetExecutionContext,
    config: DataloaderTableConfig,
    lakebase: LakebaseResource,
    pipes_databricks: PipesComputeResource,
    databricks_rest: DestinationCatalogResource,
) -> dg.MaterializeResult:
    client = lakebase.get_client()
    run_url = dagster_run_url(context.run.run_id)
    client.update_control_status(
        config.config_id, Status.IN_PROGRESS, "Loading", dagster_run_url=run_url
    )
    client.update_metadata(
        config.metadata_id,
        status=Status.IN_PROGRESS.value,
        started_at=client.now(),
        dagster_run_id=context.run.run_id,
        dagster_run_url=run_url,
    )
    try:
        extras = {
            **config.model_dump(),
            "destination_uri": databricks_rest.table_uri(
                config.destination_catalog,
                config.destination_schema_name,
                config.destination_table_name,
            ),
            "dagster_run_url": run_url,
        }
        outcome = read_outcome(pipes_databricks.run_script(context, LOAD_SCRIPT, extras))
    except Exception as exc:  # the load never reported: record why, then fail the run
        _record_failure(client, config, f"{type(exc).__name__}: {exc}")
        raise
    if outcome.databricks_run_url:
        client.update_run_tracking(config.config_id, run_url, outcome.databricks_run_url)
        client.update_metadata(config.metadata_id, databricks_run_url=outcome.databricks_run_url)
    if outcome.error is not None:
        _record_failure(client, config, outcome.error)
        raise dg.Failure(
            description=f"{config.control_key}: {outcome.error}",
            metadata={"control_key": config.control_key},
        )
    rows = int(outcome.metadata.get("rows_loaded", 0))
    watermark = outcome.metadata.get("watermark")
    due = client.record_load_success(
        config.config_id,
        config.metadata_id,
        rows,
        None if watermark is None else str(watermark),
        float(outcome.metadata.get("duration_seconds", 0.0)),
    )
    return dg.MaterializeResult(
        metadata={
            **outcome.metadata,
            "control_key": config.control_key,
            "dagster_run_url": dg.MetadataValue.url(run_url),
            "next_load_date_time": due.isoformat(),
        }
    )


def _record_failure(client: LakebaseClient, config: DataloaderTableConfig, message: str) -> None:
    """Fail the row unless a monitor already did (it then keeps the monitor's message)."""
    if client.fail_table(config.config_id, message, expected=Status.IN_PROGRESS):
        return
    client.update_metadata(config.metadata_id, error_message=message)
