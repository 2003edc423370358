"""``master_sensor``: claims tables that are due and starts one load run per table.

Each tick also gives back claims whose run never came (a crash between the claim's commit
and the run's creation) once ``orphan_grace_minutes`` have passed, without spending a
retry, and keeps the asset's partitions in step with ``table_control``.
"""

from datetime import timedelta
from typing import Any

import dagster as dg

from dataloader.assets.table_load import TABLE_LOAD_KEY, TABLE_LOAD_OP
from dataloader.partitions import ensure_partitions, sync_partitions, table_event
from dataloader.resources.lakebase import LakebaseResource
from dataloader.sensors.registrations import sync_declared_tables
from dataloader.settings import MasterSensorSettings
from dataloader.tags import CONFIG_ID_TAG, CONTROL_KEY_TAG, METADATA_ID_TAG, runs_of_claim
from lakebase import LakebaseClient, QueuedLoad
from run_lifecycle import max_runtime_tags

# A table load waits on Databricks; longrunning_monitor cancels it past its threshold
# (defs/control_plane/defs.yaml). Dagster's own limit is the backstop for a run that
# monitor cannot reach (Lakebase down, a dead run worker that kept its claim).
TABLE_LOAD_TIME_LIMIT = max_runtime_tags(4 * 3600, "table load")


def run_config_connection(db_config_value: dict[str, Any]) -> dict[str, Any]:
    """A claimed row's ``db_config_value`` in the run config's types (``port`` may be text in
    the row; the claim has checked it holds digits)."""
    connection = dict(db_config_value)
    if connection.get("port") is not None:
        connection["port"] = int(connection["port"])
    return connection


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
        "db_config_value": run_config_connection(table.db_config_value),
        "db_kv_scope": table.db_kv_scope,
        "load_strategy": table.load_strategy,
        "incremental_column": table.incremental_column,
        "incremental_value": table.incremental_value,
        "retry_count": table.retry_count,
    }
    return dg.RunRequest(
        run_key=f"load:{table.config_id}:{queued.metadata_id}",
        run_config={"ops": {TABLE_LOAD_OP: {"config": config}}},
        partition_key=table.control_key,
        tags={
            CONTROL_KEY_TAG: table.control_key,
            CONFIG_ID_TAG: str(table.config_id),
            METADATA_ID_TAG: str(queued.metadata_id),
            **TABLE_LOAD_TIME_LIMIT,
        },
    )


def orphan_message(grace_minutes: int) -> str:
    return f"Released - no Dagster run was created for the claim within {grace_minutes} minutes"


def release_orphaned_claims(
    instance: dg.DagsterInstance, client: LakebaseClient, grace_minutes: int
) -> list[str]:
    """Give back the claims ``Queued`` for over ``grace_minutes`` that have no run."""
    message = orphan_message(grace_minutes)
    released = []
    for table in client.get_long_queued(timedelta(minutes=grace_minutes)):
        if runs_of_claim(instance, table.claim_metadata_id):
            continue
        if client.release_orphaned_claim(table.config_id, table.claim_metadata_id, message):
            released.append(table.control_key)
    return released


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
        instance = context.instance
        synced = sync_declared_tables(client, context.repository_def, context.log)
        if synced is not None:
            sync_partitions(instance, client.get_control_keys())
        released = release_orphaned_claims(instance, client, settings.orphan_grace_minutes)
        batch = client.claim(settings.batch_size)
        ensure_partitions(
            instance,
            [q.table.control_key for q in batch.queued]
            + [r.control_key for r in batch.rejected]
            + released,
        )
        events = [
            table_event(TABLE_LOAD_KEY, key, orphan_message(settings.orphan_grace_minutes))
            for key in released
        ]
        for rejected in batch.rejected:
            context.log.error(f"{rejected.control_key}: not queued: {rejected.message}")
            events.append(
                table_event(
                    TABLE_LOAD_KEY,
                    rejected.control_key,
                    "Failed before queueing (flagged for review)",
                    message=rejected.message,
                )
            )
        if released:
            context.log.warning(f"released orphaned claims of {', '.join(released)}")
        observations = [e for e in events if e is not None]
        if not batch.queued and not observations:
            return dg.SensorResult(skip_reason="no table is due")
        if batch.queued:
            context.log.info(f"queued {', '.join(q.table.control_key for q in batch.queued)}")
        return dg.SensorResult(
            run_requests=[table_load_run_request(q) for q in batch.queued],
            asset_events=observations,
        )

    return master_sensor
