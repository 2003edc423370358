"""``longrunning_monitor``: loads past the timeout are cancelled and marked ``Failed``."""

from datetime import timedelta

import dagster as dg

from dataloader.assets.table_load import TABLE_LOAD_KEY
from dataloader.links import run_id_from_url
from dataloader.partitions import table_event
from dataloader.resources.lakebase import LakebaseResource
from dataloader.settings import LongRunningSettings
from lakebase import Status


def long_running_message(threshold_minutes: int) -> str:
    return f"Cancelled - exceeded {threshold_minutes} minute timeout"


def build_longrunning_monitor(
    settings: LongRunningSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    threshold = timedelta(minutes=settings.threshold_minutes)
    message = long_running_message(settings.threshold_minutes)

    @dg.sensor(
        name="longrunning_monitor",
        description=(
            f"Cancels loads In Progress for over {settings.threshold_minutes} minutes "
            "and marks them Failed."
        ),
        minimum_interval_seconds=settings.interval_seconds,
        default_status=default_status,
    )
    def longrunning_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        client = lakebase.get_client()
        events = []
        for table in client.get_long_running(threshold):
            # Fail the row first, under the run's claim: the run's own failure handling then
            # finds its claim no longer running and keeps this message.
            if not client.record_load_failure(
                table.config_id, table.claim_metadata_id, message, expected=[Status.IN_PROGRESS]
            ):
                continue
            run_id = run_id_from_url(table.last_dagster_run)
            run = context.instance.get_run_by_id(run_id) if run_id else None
            if run is None:
                context.log.warning(f"{table.control_key}: no Dagster run to cancel")
            elif not run.is_finished:
                context.instance.run_coordinator.cancel_run(run.run_id)
                context.log.warning(f"{table.control_key}: cancelled run {run.run_id}")
            events.append(
                table_event(
                    TABLE_LOAD_KEY, table.control_key, message, run_id=run.run_id if run else ""
                )
            )
        if not events:
            return dg.SensorResult(skip_reason="no load exceeds the timeout")
        return dg.SensorResult(asset_events=[e for e in events if e is not None])

    return longrunning_monitor
