"""Run-level outcomes of load runs, recorded from Dagster's run status, not from the op.

A run can fail before or outside its op (a resource that does not initialise, a launch
failure, a run worker that dies) or be cancelled; the op's own ``finally`` never sees
those. These sensors fail the row under the run's claim, so a row never waits hours in
``Queued`` / ``In Progress`` for a monitor; a run that already recorded its outcome (or
whose claim moved on) is left as it is.
"""

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

from dataloader.resources.lakebase import LakebaseResource
from dataloader.tags import WILL_RETRY_TAG, claim_of


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def _root_cause(error: SerializableErrorInfo) -> str:
    while error.cause is not None:
        error = error.cause
    return _first_line(f"{error.cls_name}: {error.message.removeprefix(f'{error.cls_name}: ')}")


def failure_reason(context: dg.RunFailureSensorContext) -> str:
    """The root cause of the first step error, else of the run's own failure."""
    for event in context.get_step_failure_events():
        if event.step_failure_data.error is not None:
            return _root_cause(event.step_failure_data.error)
    data = context.failure_event.job_failure_data
    if data is not None and data.error is not None:
        return _root_cause(data.error)
    return _first_line(context.failure_event.message or "the run failed")


def _record(lakebase: LakebaseResource, run: dg.DagsterRun, message: str) -> bool:
    claim = claim_of(run)
    if claim is None:
        return False
    config_id, metadata_id = claim
    return lakebase.get_client().record_load_failure(config_id, metadata_id, message)


def build_run_outcome_sensors(
    default_status: dg.DefaultSensorStatus,
) -> list[dg.SensorDefinition]:
    @dg.run_failure_sensor(
        name="table_load_failure_sensor",
        description="Fails the Lakebase row of a load run that failed, whatever failed it.",
        default_status=default_status,
    )
    def table_load_failure_sensor(
        context: dg.RunFailureSensorContext, lakebase: LakebaseResource
    ) -> None:
        run = context.dagster_run
        if run.tags.get(WILL_RETRY_TAG) == "true":
            return  # Dagster retries it: the retry resumes under the same claim
        message = f"Run {run.run_id} failed: {failure_reason(context)}"
        if _record(lakebase, run, message):
            context.log.warning(f"{run.tags.get('dataloader/control_key')}: {message}")

    @dg.run_status_sensor(
        name="table_load_canceled_sensor",
        run_status=dg.DagsterRunStatus.CANCELED,
        description="Fails the Lakebase row of a load run that was cancelled.",
        default_status=default_status,
    )
    def table_load_canceled_sensor(
        context: dg.RunStatusSensorContext, lakebase: LakebaseResource
    ) -> None:
        run = context.dagster_run
        message = f"Cancelled - Dagster run {run.run_id} was cancelled"
        if _record(lakebase, run, message):
            context.log.warning(f"{run.tags.get('dataloader/control_key')}: {message}")

    return [table_load_failure_sensor, table_load_canceled_sensor]
