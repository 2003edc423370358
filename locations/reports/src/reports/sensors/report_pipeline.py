"""``report_pipeline_sensor`` (``SCHEDULING_APPROACH=pipeline``): each report runs in its
own job, ``process_report_<id>``, so it has its own page, run history and failures.

A schedule can only target one job, so this is a sensor that evaluates on the ticks of
``SCHEDULE_CRON_EXPRESSION`` (looking back ``SCHEDULE_INTERVAL_SECONDS``) like the
unified schedule does. A report discovered since the code location last loaded has no
job yet: until the reload it runs in ``process_report_job``, so it is not missed.
"""

import datetime as dt
from collections.abc import Collection, Sequence

import dagster as dg
from croniter import croniter

from reports.scheduling.due import DueRun
from reports.scheduling.tick import evaluate_tick, read_cursor
from reports.scheduling.trigger import NO_CATALOGUE, TriggerSettings

SHARED_JOB = "process_report_job"
POLL_SECONDS = 30


def report_job_name(report_id: int) -> str:
    return f"process_report_{report_id}"


def build_report_pipeline_sensor(
    trigger: TriggerSettings,
    jobs: Sequence[dg.JobDefinition],
    loaded_report_ids: Collection[int],
    cron_expression: str,
    interval_seconds: int,
) -> dg.SensorDefinition:
    loaded = frozenset(loaded_report_ids)

    def job_for(due: DueRun) -> str:
        return report_job_name(due.report_id) if due.report_id in loaded else SHARED_JOB

    @dg.sensor(
        name="report_pipeline_sensor",
        jobs=jobs,
        minimum_interval_seconds=POLL_SECONDS,
        default_status=trigger.status,
        description=(
            f"On '{cron_expression}', runs each due report in its own process_report_<id> job. "
            + trigger.approach_note
        ),
    )
    def report_pipeline_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        now = trigger.clock()
        tick_time: dt.datetime = croniter(cron_expression, now).get_prev(dt.datetime)
        cursor = read_cursor(context.instance)
        if cursor is not None and cursor.evaluated_through >= tick_time:
            following = croniter(cron_expression, now).get_next(dt.datetime)
            return dg.SensorResult(
                skip_reason=f"Evaluated through {cursor.evaluated_through.isoformat()}; next "
                f"evaluation at {following.isoformat()} ('{cron_expression}')"
            )
        reports = trigger.reports(context.instance)
        if reports is None:
            return dg.SensorResult(skip_reason=NO_CATALOGUE)
        outcome = evaluate_tick(
            context.instance,
            reports,
            tick_time,
            dt.timedelta(seconds=interval_seconds),
            trigger.limits,
            context.log,
            job_for=job_for,
            alert=trigger.alert,
        )
        return dg.SensorResult(
            run_requests=outcome.requests,
            skip_reason=None if outcome.requests else outcome.skip_reason(),
        )

    return report_pipeline_sensor
