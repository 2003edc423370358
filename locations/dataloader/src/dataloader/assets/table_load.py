"""``dataloader__table_load``: loads one table, named by its run config, through Pipes.

One partition per table (``control_key``). The run acts only under its claim
(``metadata_id``): ``start_load`` refuses a stale claim before anything runs, and one
try/except/finally gives every exit (success, a reported failure, a crash, Dagster's
interrupt, which is a ``BaseException``) a final status, fenced on the same claim.
"""

from typing import Any

import dagster as dg
from pydantic import ConfigDict, ValidationInfo, field_validator

from dataloader.connection_settings import SourceConnection, reject_credentials
from dataloader.links import dagster_run_url
from dataloader.partitions import TABLES
from dataloader.pipes_outcome import PipesOutcome, read_outcome, reported_failure
from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseClient, LakebaseError, StaleClaim

TABLE_LOAD_OP = "dataloader__table_load"
TABLE_LOAD_KEY = dg.AssetKey(TABLE_LOAD_OP)
LOAD_SCRIPT = "dataloader_pipe.py"
ROWS_CHECK = "rows_match_source"
INTERRUPTED = "Cancelled - the Dagster run was interrupted"


class DataloaderTableConfig(dg.Config):
    """One ``table_control`` row, as the master sensor sends it.

    ``db_config_value`` is a closed shape: a ``password`` (or any key but the connection's
    location) typed into the Launchpad is a config error before the run exists. A credential
    hidden in a text field (a URI with a password, say) fails the run before anything loads,
    with the key named and the value never echoed.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

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
    db_config_value: SourceConnection
    db_kv_scope: str = ""
    load_strategy: str = "full"
    incremental_column: str | None = None
    incremental_value: str | None = None
    retry_count: int = 0

    @field_validator(
        "db_config_value",
        "source_catalog",
        "source_schema_name",
        "source_table_name",
        "db_kv_scope",
        "incremental_column",
        "incremental_value",
    )
    @classmethod
    def _no_credentials(cls, value: Any, info: ValidationInfo) -> Any:
        field = str(info.field_name)
        if isinstance(value, SourceConnection):
            reject_credentials(field, value.as_dict())
            return value
        return reject_credentials(field, value)


@dg.asset(
    name=TABLE_LOAD_OP,
    group_name="dataloader",
    kinds={"databricks", "postgres", "delta"},
    partitions_def=TABLES,
    check_specs=[
        dg.AssetCheckSpec(
            ROWS_CHECK,
            asset=TABLE_LOAD_KEY,
            description="Rows loaded equal the source's rows for the load's range "
            "(the whole table for full loads, past the previous watermark for incremental).",
        )
    ],
    description="Loads the table a run's config names: Lakebase status, Pipes load, history.",
)
def dataloader_table_load(
    context: dg.AssetExecutionContext,
    config: DataloaderTableConfig,
    lakebase: LakebaseResource,
    pipes_databricks: PipesComputeResource,
    databricks_rest: DestinationCatalogResource,
) -> dg.MaterializeResult:
    if context.partition_key != config.control_key:
        raise dg.Failure(
            description=f"partition {context.partition_key!r} does not match the config's "
            f"control_key {config.control_key!r}: launch loads from master_sensor"
        )
    client = lakebase.get_client()
    run = context.run
    run_url = dagster_run_url(run.run_id)
    try:
        table = client.start_load(
            config.config_id, config.metadata_id, run.run_id, run.root_run_id or run.run_id, run_url
        )
    except StaleClaim as exc:  # nothing was written, nothing will be
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    finished = False
    reason: str | None = None
    try:
        extras = {
            **config.model_dump(),
            "db_config_value": config.db_config_value.as_dict(),
            # The watermark of the row as this claim found it, not the one in run config.
            "incremental_value": table.incremental_value,
            "destination_uri": databricks_rest.table_uri(
                config.destination_catalog,
                config.destination_schema_name,
                config.destination_table_name,
            ),
            "dagster_run_url": run_url,
        }
        outcome, reason = _run_load(context, pipes_databricks, extras, config.metadata_id)
        if outcome is None:
            raise dg.Failure(
                description=f"{config.control_key}: {reason}",
                metadata={"control_key": config.control_key},
            )
        if outcome.databricks_run_url:
            client.update_run_tracking(
                config.config_id, run_url, outcome.databricks_run_url, config.metadata_id
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
        finished = True
        return dg.MaterializeResult(
            metadata={
                **outcome.metadata,
                "control_key": config.control_key,
                "destination": dg.MetadataValue.path(str(extras["destination_uri"])),
                "metadata_id": config.metadata_id,
                "watermark_before": table.incremental_value or "",
                "dagster_run_url": dg.MetadataValue.url(run_url),
                "next_load_date_time": due.isoformat(),
                **(
                    {"databricks_run_url": dg.MetadataValue.url(outcome.databricks_run_url)}
                    if outcome.databricks_run_url
                    else {}
                ),
            },
            check_results=[_rows_check(rows, outcome.metadata.get("source_rows"))],
        )
    except StaleClaim as exc:  # a monitor took the row over meanwhile: its state stands
        finished = True
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except dg.DagsterExecutionInterruptedError:
        reason = INTERRUPTED
        raise
    except BaseException as exc:
        reason = reason or f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if not finished:
            _record_failure(context, client, config, reason or "the load ended without a result")


def _run_load(
    context: dg.AssetExecutionContext,
    compute: PipesComputeResource,
    extras: dict[str, Any],
    metadata_id: int,
) -> tuple[PipesOutcome | None, str | None]:
    """The script's outcome, or ``None`` and the failure it reported (a crash raises)."""
    try:
        invocation = compute.run_script(context, LOAD_SCRIPT, extras, f"claim:{metadata_id}")
    except Exception:  # the script failed: did it say why (the Pipes client's error does not)?
        reported = reported_failure(context)
        if reported is None:
            raise
        return None, reported
    return read_outcome(invocation), None


def _rows_check(rows_loaded: int, source_rows: object) -> dg.AssetCheckResult:
    if source_rows is None:
        return dg.AssetCheckResult(
            check_name=ROWS_CHECK,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows_loaded": rows_loaded, "source_rows": "not reported"},
        )
    source = int(str(source_rows))
    return dg.AssetCheckResult(
        check_name=ROWS_CHECK,
        passed=rows_loaded == source,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_loaded": rows_loaded, "source_rows": source},
    )


def _record_failure(
    context: dg.AssetExecutionContext,
    client: LakebaseClient,
    config: DataloaderTableConfig,
    message: str,
) -> None:
    """Fail the row under this run's claim (a monitor's earlier verdict stands). If Lakebase
    is down, the run failure sensor records it later."""
    try:
        client.record_load_failure(config.config_id, config.metadata_id, message)
    except LakebaseError as exc:
        context.log.error(f"{config.control_key}: could not record the failure: {exc}")
