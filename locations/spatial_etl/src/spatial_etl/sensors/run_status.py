"""``manifest_run_failure_sensor``, ``manifest_run_canceled_sensor`` and
``manifest_run_success_sensor``: a lane run's outcome, written to the ledger.

Outcomes come from run status sensors rather than from the run itself, so a run that dies in
resource initialisation or is interrupted is recorded too. Dagster's failure sensor does not
see cancellations, hence the canceled sensor, which shares the failure sensor's handler.
"""

import logging
from collections.abc import Collection

import dagster as dg

from spatial_platform.ledger import LedgerStatus
from spatial_platform.mongodb_resource import MongoDBResource

PARTITION_TAG = "dagster/partition"


def failure_reason(context: dg.RunFailureSensorContext) -> str:
    """The failed steps and their errors, else the run's own failure message."""
    steps = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None and error.cause is not None:
            error = error.cause  # the user's exception, not Dagster's wrapper
        if error is not None:
            steps.append(f"{event.step_key}: {error.message.strip()}")
    if steps:
        return "Run failed: " + "; ".join(steps)
    message = context.failure_event.message or "no error message"
    return f"Run failed: {message}"


def record_run_outcome(
    mongodb: MongoDBResource,
    run: dg.DagsterRun,
    status: LedgerStatus,
    error_message: str | None,
    log: logging.Logger | dg.DagsterLogManager,
) -> None:
    """Finish the run document and, if the run still owns it, the manifest."""
    batch_id = run.tags["batch_id"]
    mongodb.insert_run(
        dagster_run_id=run.run_id,
        batch_id=batch_id,
        job_name=run.job_name,
        partition_key=run.tags.get(PARTITION_TAG),
    )
    mongodb.update_run_status(run.run_id, status, error_message)
    if mongodb.update_manifest_status(
        batch_id, status, error_message=error_message, owner_run_id=run.run_id
    ):
        log.info(f"Manifest {batch_id} -> {status.value} (run {run.run_id})")
        return
    manifest = mongodb.get_manifest(batch_id)
    if manifest is None:
        log.warning(f"Run {run.run_id}: batch_id {batch_id!r} is not in the ledger")
    elif manifest.dagster_run_id is None:
        # The run ended before init_mongo_run_op could take the manifest over.
        mongodb.update_manifest_status(
            batch_id, status, error_message=error_message, dagster_run_id=run.run_id
        )
        log.info(f"Manifest {batch_id} -> {status.value} (run {run.run_id}, never started)")
    else:
        log.info(
            f"Manifest {batch_id} belongs to run {manifest.dagster_run_id} now: "
            f"run {run.run_id}'s {status.value} is recorded on the run only"
        )


def _tracked(run: dg.DagsterRun, jobs: Collection[str]) -> bool:
    return run.job_name in jobs and bool(run.tags.get("batch_id"))


def build_run_status_sensors(
    jobs: Collection[str], minimum_interval_seconds: int, default_status: dg.DefaultSensorStatus
) -> list[dg.SensorDefinition]:
    """The three ledger sensors, watching the lane jobs ``jobs`` of this location."""
    tracked = frozenset(jobs)

    @dg.run_failure_sensor(
        name="manifest_run_failure_sensor",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Marks the run and its manifest failure in the ledger, with the reason",
    )
    def manifest_run_failure_sensor(
        context: dg.RunFailureSensorContext, mongodb: MongoDBResource
    ) -> None:
        if _tracked(context.dagster_run, tracked):
            record_run_outcome(
                mongodb,
                context.dagster_run,
                LedgerStatus.FAILURE,
                failure_reason(context),
                context.log,
            )

    @dg.run_status_sensor(
        name="manifest_run_canceled_sensor",
        run_status=dg.DagsterRunStatus.CANCELED,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Marks the run and its manifest canceled in the ledger",
    )
    def manifest_run_canceled_sensor(
        context: dg.RunStatusSensorContext, mongodb: MongoDBResource
    ) -> None:
        run = context.dagster_run
        if _tracked(run, tracked):
            reason = f"Run canceled. See Dagster UI for details: {run.run_id}"
            record_run_outcome(mongodb, run, LedgerStatus.CANCELED, reason, context.log)

    @dg.run_status_sensor(
        name="manifest_run_success_sensor",
        run_status=dg.DagsterRunStatus.SUCCESS,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Marks the run and its manifest success in the ledger",
    )
    def manifest_run_success_sensor(
        context: dg.RunStatusSensorContext, mongodb: MongoDBResource
    ) -> None:
        run = context.dagster_run
        if _tracked(run, tracked):
            record_run_outcome(mongodb, run, LedgerStatus.SUCCESS, None, context.log)

    return [manifest_run_failure_sensor, manifest_run_canceled_sensor, manifest_run_success_sensor]
