"""``manifest_run_failure_sensor``, ``manifest_run_canceled_sensor`` and
``manifest_run_success_sensor``: a lane run's outcome, written to the ledger.

Outcomes come from run status sensors rather than from the run itself, so a run that dies in
resource initialisation, whose worker dies or is interrupted is recorded too. The sensors come
from ``run_lifecycle``; what is spatial's own is the ledger write and its fence (only the run
that owns the manifest decides its status).
"""

import logging
from collections.abc import Collection, Mapping
from typing import Any

import dagster as dg

from run_lifecycle import Outcome, OutcomeSensors, RunOutcome, build_run_outcome_sensors
from spatial_platform.ledger import LedgerStatus
from spatial_platform.mongodb_resource import MongoDBResource

PARTITION_TAG = "dagster/partition"
LEDGER_STATUS = {
    Outcome.SUCCESS: LedgerStatus.SUCCESS,
    Outcome.FAILURE: LedgerStatus.FAILURE,
    Outcome.CANCELED: LedgerStatus.CANCELED,
}


def ledger_error(outcome: RunOutcome) -> str | None:
    """The ledger's ``error_message`` of an outcome (None on success)."""
    if outcome.outcome is Outcome.FAILURE:
        return f"Run failed: {outcome.reason}"
    if outcome.outcome is Outcome.CANCELED:
        return f"Run canceled. See Dagster UI for details: {outcome.run.run_id}"
    return None


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


def build_run_status_sensors(
    jobs: Collection[str], minimum_interval_seconds: int, default_status: dg.DefaultSensorStatus
) -> list[dg.SensorDefinition]:
    """The three ledger sensors (failure, canceled, success), watching the lane jobs
    ``jobs`` of this location; runs without a ``batch_id`` are not lane runs."""
    tracked = frozenset(jobs)
    spec = OutcomeSensors(
        sensors={
            Outcome.FAILURE: (
                "manifest_run_failure_sensor",
                "Marks the run and its manifest failure in the ledger, with the reason",
            ),
            Outcome.CANCELED: (
                "manifest_run_canceled_sensor",
                "Marks the run and its manifest canceled in the ledger",
            ),
            Outcome.SUCCESS: (
                "manifest_run_success_sensor",
                "Marks the run and its manifest success in the ledger",
            ),
        },
        required_resource_keys={"mongodb"},
        applies=lambda run: run.job_name in tracked and bool(run.tags.get("batch_id")),
        minimum_interval_seconds=minimum_interval_seconds,
    )

    def record(
        outcome: RunOutcome, context: dg.RunStatusSensorContext, resources: Mapping[str, Any]
    ) -> None:
        status = LEDGER_STATUS[outcome.outcome]
        mongodb: MongoDBResource = resources["mongodb"]
        record_run_outcome(mongodb, outcome.run, status, ledger_error(outcome), context.log)

    return build_run_outcome_sensors(spec, record, default_status)
