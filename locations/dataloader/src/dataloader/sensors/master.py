"""``master_sensor``: claims tables that are due and starts one load run per table."""

import dagster as dg

from dataloader.assets.table_load import TABLE_LOAD_KEY, TABLE_LOAD_OP
from dataloader.connection_settings import secret_keys, secret_keys_message
from dataloader.resources.lakebase import LakebaseResource
from dataloader.sensors.registrations import sync_declared_tables
from dataloader.settings import MasterSensorSettings
from lakebase import QueuedLoad, Status


def table_load_run_request(queued: QueuedLoad) -> dg.RunRequest:
    """The RunRequest for one claimed table: its whole row as the asset's config."""
    table = queued.table
    config = {
        "config_id": table.config_id,
        "control_key": table.control_key,
        "metadata_id": queued.metadata_id,
        "source_catalog": table.source_catalog,
        "source_schema_name": table.source_schema_name,
        "source_table_name": table.source_table_name,
        "destination_catalog": table.destination_catalog,
        "destination_schema_name": table.destination_schema_name,
        "destination_table_name": table.destination_table_name,
        "db_type": table.db_type,
        "db_config_value": table.db_config_value,
        "db_kv_scope": table.db_kv_scope,
        "load_strategy": table.load_strategy,
        "incremental_column": table.incremental_column,
        "incremental_value": table.incremental_value,
        "retry_count": table.retry_count,
    }
    return dg.RunRequest(
        run_key=f"load:{table.config_id}:{queued.metadata_id}",
        run_config={"ops": {TABLE_LOAD_OP: {"config": config}}},
        tags={
            "dataloader/control_key": table.control_key,
            "dataloader/config_id": str(table.config_id),
            "dataloader/metadata_id": str(queued.metadata_id),
        },
    )


def build_master_sensor(
    settings: MasterSensorSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(
        name="master_sensor",
        description=(
            f"Every {settings.interval_seconds}s: claim up to {settings.batch_size} active "
            "tables that are due and not Queued / In Progress, queue them, start their loads."
        ),
        minimum_interval_seconds=settings.interval_seconds,
        asset_selection=[TABLE_LOAD_KEY],
        default_status=default_status,
    )
    def master_sensor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        client = lakebase.get_client()
        sync_declared_tables(client, context.repository_def, context.log)
        claimed = client.claim_ready_tables(settings.batch_size)
        runnable = []
        for queued in claimed:
            # Run config is visible in the UI: a row with credentials in it never gets one.
            if secrets := secret_keys(queued.table.db_config_value):
                message = secret_keys_message(secrets)
                client.fail_table(queued.table.config_id, message, expected=Status.QUEUED)
                context.log.error(f"{queued.table.control_key}: {message}")
            else:
                runnable.append(queued)
        if not runnable:
            return dg.SensorResult(skip_reason="no table is due")
        context.log.info(f"queued {', '.join(q.table.control_key for q in runnable)}")
        return dg.SensorResult(run_requests=[table_load_run_request(q) for q in runnable])

    return master_sensor
