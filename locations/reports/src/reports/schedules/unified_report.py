"""``unified_report_schedule`` (``SCHEDULING_APPROACH=schedule``): on
``SCHEDULE_CRON_EXPRESSION``, request a run of ``process_report_job`` for each report due
in the last ``SCHEDULE_INTERVAL_SECONDS`` (or since the previous evaluation, when later)."""

import datetime as dt

import dagster as dg

from reports.scheduling.tick import evaluate_tick
from reports.scheduling.trigger import NO_CATALOGUE, TriggerSettings


def build_unified_report_schedule(
    trigger: TriggerSettings,
    job_name: str,
    cron_expression: str,
    interval_seconds: int,
) -> dg.ScheduleDefinition:
    status = (
        dg.DefaultScheduleStatus.RUNNING
        if trigger.status == dg.DefaultSensorStatus.RUNNING
        else dg.DefaultScheduleStatus.STOPPED
    )

    @dg.schedule(
        name="unified_report_schedule",
        job_name=job_name,
        cron_schedule=cron_expression,
        execution_timezone="UTC",
        default_status=status,
        description="Checks every report's cron and runs those due in the last interval. "
        + trigger.approach_note,
    )
    def unified_report_schedule(
        context: dg.ScheduleEvaluationContext,
    ) -> list[dg.RunRequest] | dg.SkipReason:
        reports = trigger.reports(context.instance)
        if reports is None:
            return dg.SkipReason(NO_CATALOGUE)
        now = context.scheduled_execution_time or trigger.clock()
        outcome = evaluate_tick(
            context.instance,
            reports,
            now.astimezone(dt.UTC),
            dt.timedelta(seconds=interval_seconds),
            trigger.limits,
            context.log,
            alert=trigger.alert,
        )
        return outcome.requests or dg.SkipReason(outcome.skip_reason())

    return unified_report_schedule
