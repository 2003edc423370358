"""``report_cron_sensor`` (``SCHEDULING_APPROACH=sensor``): every
``CRON_SENSOR_INTERVAL_SECONDS``, request a run of ``process_report_job`` for each report
due since the last evaluation."""

import datetime as dt

import dagster as dg

from reports.scheduling.tick import evaluate_tick
from reports.scheduling.trigger import NO_CATALOGUE, TriggerSettings


def build_report_cron_sensor(
    trigger: TriggerSettings, job_name: str, interval_seconds: int
) -> dg.SensorDefinition:
    @dg.sensor(
        name="report_cron_sensor",
        job_name=job_name,
        minimum_interval_seconds=interval_seconds,
        default_status=trigger.status,
        description="Requests a run for every report whose cron fired since the last tick. "
        + trigger.approach_note,
    )
    def report_cron_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        reports = trigger.reports(context.instance)
        if reports is None:
            return dg.SensorResult(skip_reason=NO_CATALOGUE)
        outcome = evaluate_tick(
            context.instance,
            reports,
            trigger.clock(),
            dt.timedelta(seconds=interval_seconds),
            trigger.limits,
            context.log,
            alert=trigger.alert,
        )
        assert outcome.cursor is not None
        return dg.SensorResult(
            run_requests=outcome.requests,
            skip_reason=None if outcome.requests else outcome.skip_reason(),
            cursor=outcome.cursor.to_json(),
        )

    return report_cron_sensor
