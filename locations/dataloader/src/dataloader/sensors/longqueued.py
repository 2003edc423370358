"""``longqueued_monitor``: tables stuck in ``Queued`` are marked ``Failed`` (no RunRequest)."""

from datetime import timedelta

import dagster as dg

from dataloader.resources.lakebase import LakebaseResource
from dataloader.settings import LongQueuedSettings
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
        description=f"Marks tables Queued for over {settings.threshold_minutes} minutes Failed.",
        minimum_interval_seconds=settings.interval_seconds,
        default_status=default_status,
    )
    def longqueued_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        client = lakebase.get_client()
        failed = [
            t.control_key
            for t in client.get_long_queued(threshold)
            if client.fail_table(t.config_id, message, expected=Status.QUEUED)
        ]
        if not failed:
            return dg.SensorResult(skip_reason="no table is stuck in the queue")
        context.log.warning(f"{message}: {', '.join(failed)}")
        return dg.SensorResult(skip_reason=f"marked {len(failed)} table(s) Failed")

    return longqueued_monitor
