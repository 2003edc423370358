"""``report_run_failure_sensor`` and ``report_run_canceled_sensor``: a report run's outcome,
written to its Django job record from Dagster's run status, not from inside the assets.

The assets record what they see themselves, but a run can fail outside them (a resource
that does not initialise, a step process killed, a run worker that dies) or be cancelled
(Dagster's interrupt is a ``BaseException``): its job record would stay ``running`` for
ever. These sensors watch every run of the location (the shared job, the per-report jobs
and materializations started by hand), find the record of the run's (report, due time) and
mark it ``failed`` or ``cancelled`` with the run id and the reason.

Fencing: a record that already has an outcome (``completed`` above all: a re-execution that
succeeded wins) is left alone, and so is one whose run group has a newer run (a
re-execution owns the record now). A run that failed before its Fireant job was recorded
has no record: the sensor logs a JSON line naming the report, due time, run and reason,
and changes nothing. Processing the same run again changes nothing.

A run status sensor moves its cursor past a run even when handling it failed, so an
outcome the Django API could not take is kept on the run itself (tag
``reports/job_record_outcome=pending`` with the reason) and written by
``report_run_outcome_retry_sensor`` once the API answers again.
"""

import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import dagster as dg

from reports.assets.processing import recorded_fireant_job
from reports.logs import log_json
from reports.resources import DjangoApiResource
from reports.runs import REPORT_ID_TAG, idempotency_key, run_due_time
from run_lifecycle import (
    Outcome,
    OutcomeSensors,
    RunOutcome,
    build_run_outcome_sensors,
    newer_run_of_group,
)

if TYPE_CHECKING:
    from django_api import JobRecordStatus

PARTITION_TAG = "dagster/partition"
OUTCOME_TAG = "reports/job_record_outcome"  # "pending" until written, then "recorded"
REASON_TAG = "reports/job_record_outcome_reason"
MINIMUM_INTERVAL_SECONDS = 30
RETRY_INTERVAL_SECONDS = 60
RETRY_BATCH = 50


def report_of(run: dg.DagsterRun) -> int | None:
    """The report a run works for: its tag, else its partition (report runs only)."""
    raw = run.tags.get(REPORT_ID_TAG) or run.tags.get(PARTITION_TAG)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def job_record_status(outcome: RunOutcome) -> "JobRecordStatus":
    from django_api import JobRecordStatus

    if outcome.outcome is Outcome.CANCELED:
        return JobRecordStatus.CANCELLED
    return JobRecordStatus.FAILED


def job_record_reason(outcome: RunOutcome) -> str:
    """The job record's ``status_message``: the run and why it ended."""
    run_id = outcome.run.run_id
    if outcome.outcome is Outcome.CANCELED:
        return f"Dagster run {run_id} was cancelled"
    return f"Dagster run {run_id} failed: {outcome.reason}"


def record_run_outcome(
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    outcome: RunOutcome,
    log: logging.Logger | dg.DagsterLogManager,
) -> str:
    """Write ``outcome`` (a failure or a cancel) to the run's job record unless fenced off;
    say what was done."""
    run = outcome.run
    status, reason = job_record_status(outcome), job_record_reason(outcome)
    report_id = report_of(run)
    if report_id is None:
        return f"Run {run.run_id} works for no report: nothing to record"
    due_at: dt.datetime = run_due_time(instance, run)
    fields = {"report_id": report_id, "due_at": due_at, "run_id": run.run_id}
    fireant_job = recorded_fireant_job(instance, report_id, idempotency_key(report_id, due_at))
    if fireant_job is None:
        return log_json(
            log,
            "warning",
            "run_outcome_without_job_record",
            f"Run {run.run_id} of report {report_id} ended {status} before a Fireant "
            f"job was submitted: no job record to update ({reason})",
            reason=reason,
            **fields,
        )
    fields["fireant_job_id"] = fireant_job
    with django_api.client() as api:
        records = api.find_jobs(report_id=report_id, fireant_jobid=fireant_job)
        if not records:
            return log_json(
                log,
                "warning",
                "run_outcome_without_job_record",
                f"Run {run.run_id} of report {report_id} ended {status} before Fireant "
                f"job {fireant_job} was recorded in Django: nothing to update ({reason})",
                reason=reason,
                **fields,
            )
        record = records[0]  # get_or_create_job's choice, should there be two
        newer = newer_run_of_group(instance, run)
        if record.status.is_terminal or newer is not None:
            why = f"re-executed by run {newer}" if newer else f"already {record.status}"
            return log_json(
                log,
                "info",
                "run_outcome_fenced",
                f"Job record {record.id} of report {report_id} left as it is ({why}); run "
                f"{run.run_id} ended {status}",
                local_job_id=record.id,
                **fields,
            )
        api.update_job(
            record.id,
            status=status,
            dagster_run_id=run.run_id,
            status_message=reason,
        )
    return log_json(
        log,
        "warning",
        "job_record_outcome",
        f"Job record {record.id} of report {report_id} -> {status}: {reason}",
        local_job_id=record.id,
        status=str(status),
        reason=reason,
        **fields,
    )


def record_or_defer(
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    outcome: RunOutcome,
    log: logging.Logger | dg.DagsterLogManager,
) -> None:
    """``record_run_outcome``; when the Django API fails, keep the outcome on the run
    (``reports/job_record_outcome=pending``) for the retry sensor, then fail the tick."""
    from resilient_http import ApiError

    try:
        record_run_outcome(instance, django_api, outcome, log)
    except ApiError as exc:
        instance.add_run_tags(
            outcome.run.run_id, {OUTCOME_TAG: "pending", REASON_TAG: (outcome.reason or "")[:1000]}
        )
        log_json(
            log,
            "error",
            "job_record_outcome_deferred",
            f"Run {outcome.run.run_id} ended {outcome.outcome} but its job record could not be "
            f"updated ({exc}); report_run_outcome_retry_sensor retries",
            run_id=outcome.run.run_id,
            report_id=report_of(outcome.run),
        )
        raise


def retry_pending_outcomes(
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    log: logging.Logger | dg.DagsterLogManager,
) -> list[str]:
    """Write the outcomes the Django API could not take earlier; the runs written."""
    outcomes = {
        dg.DagsterRunStatus.FAILURE: Outcome.FAILURE,
        dg.DagsterRunStatus.CANCELED: Outcome.CANCELED,
    }
    written = []
    pending = instance.get_runs(dg.RunsFilter(tags={OUTCOME_TAG: "pending"}), limit=RETRY_BATCH)
    for run in pending:
        outcome = outcomes.get(run.status)
        if outcome is not None:
            reason = run.tags.get(REASON_TAG) or f"the run ended {run.status}"
            record_run_outcome(instance, django_api, RunOutcome(run, outcome, reason), log)
        instance.add_run_tags(run.run_id, {OUTCOME_TAG: "recorded"})
        written.append(run.run_id)
    return written


def build_report_run_outcome_sensors(
    default_status: dg.DefaultSensorStatus,
    minimum_interval_seconds: int = MINIMUM_INTERVAL_SECONDS,
) -> list[dg.SensorDefinition]:
    """The failure and cancel sensors (ticking every ``minimum_interval_seconds``), over
    every run of this code location, and the sensor retrying the outcomes the Django API
    could not take.

    No ``monitored_jobs``: the location's jobs are ``process_report_job``, the pipeline
    approach's ``process_report_<id>`` (one per report, reloaded with the catalogue) and the
    asset job of a materialization launched by hand; all of them write job records.
    """

    spec = OutcomeSensors(
        sensors={
            Outcome.FAILURE: (
                "report_run_failure_sensor",
                "Marks the Django job record of a failed report run 'failed', with why.",
            ),
            Outcome.CANCELED: (
                "report_run_canceled_sensor",
                "Marks the Django job record of a cancelled report run 'cancelled'.",
            ),
        },
        required_resource_keys={"django_api"},
        minimum_interval_seconds=minimum_interval_seconds,
    )

    def record(
        outcome: RunOutcome, context: dg.RunStatusSensorContext, resources: Mapping[str, Any]
    ) -> None:
        record_or_defer(context.instance, resources["django_api"], outcome, context.log)

    @dg.sensor(
        name="report_run_outcome_retry_sensor",
        minimum_interval_seconds=RETRY_INTERVAL_SECONDS,
        default_status=default_status,
        description="Writes the run outcomes the Django API could not take when the run ended.",
    )
    def report_run_outcome_retry_sensor(
        context: dg.SensorEvaluationContext, django_api: DjangoApiResource
    ) -> dg.SkipReason:
        written = retry_pending_outcomes(context.instance, django_api, context.log)
        if not written:
            return dg.SkipReason("No run outcome waits for the Django API")
        return dg.SkipReason(f"Wrote the job record outcome of {len(written)} run(s): {written}")

    return [
        *build_run_outcome_sensors(spec, record, default_status),
        report_run_outcome_retry_sensor,
    ]
