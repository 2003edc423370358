"""``longqueued_monitor``: loads stuck in ``Queued`` are cancelled, then marked ``Failed``.

The Dagster run still waiting in the run queue is cancelled first, so it never starts
late; if it starts anyway, its claim is no longer current and it changes nothing.
"""

from datetime import timedelta

import dagster as dg

from dataloader.assets.table_load import TABLE_LOAD_KEY
from dataloader.partitions import table_event
from dataloader.resources.lakebase import LakebaseResource
from dataloader.settings import LongQueuedSettings
from dataloader.tags import runs_of_claim
from lakebase import Status


def long_queued_message(threshold_minutes: int) -> str:
    return f"Cancelled - stuck in queue for >{threshold_minutes} minutes"


def build_longqueued_monitor(
    settings: LongQueuedSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    threshold = timedelta(minutes=settings.threshold_minutes)
    message = long_queued_message(settings.threshold_minutes)

    @dg.sensor(
        name="longqueued_monitor",
        description=(
            f"Cancels the runs of tables Queued for over {settings.threshold_minutes} minutes "
            "and marks the tables Failed."
        ),
        minimum_interval_seconds=settings.interval_seconds,
        default_status=default_status,
    )
    def longqueued_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        client = lakebase.get_client()
        events = []
        for table in client.get_long_queued(threshold):
            cancelled = []
            for run in runs_of_claim(context.instance, table.claim_metadata_id):
                if not run.is_finished:
                    context.instance.run_coordinator.cancel_run(run.run_id)
                    cancelled.append(run.run_id)
            if not client.record_load_failure(
                table.config_id, table.claim_metadata_id, message, expected=[Status.QUEUED]
            ):
                continue
            context.log.warning(
                f"{table.control_key}: {message}; cancelled run(s): {', '.join(cancelled) or 'none'}"
            )
            events.append(
                table_event(
                    TABLE_LOAD_KEY,
                    table.control_key,
                    message,
                    cancelled_runs=", ".join(cancelled),
                )
            )
        observations = [e for e in events if e is not None]
        if not events:
            return dg.SensorResult(skip_reason="no table is stuck in the queue")
        return dg.SensorResult(asset_events=observations)

    return longqueued_monitor
