"""Run-level outcomes of load runs, recorded from Dagster's run status, not from the op.

A run can fail before or outside its op (a resource that does not initialise, a launch
failure, a run worker that dies) or be cancelled; the op's own ``finally`` never sees
those. These sensors (built by ``run_lifecycle``) fail the row under the run's claim, so a
row never waits hours in ``Queued`` / ``In Progress`` for a monitor; a run that already
recorded its outcome (or whose claim moved on) is left as it is: Lakebase fences the write
on the claim.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg

import run_lifecycle
from dataloader.resources.lakebase import LakebaseResource
from dataloader.tags import claim_of
from run_lifecycle import Outcome, OutcomeSensors, RunOutcome


def status_message(outcome: RunOutcome) -> str:
    """The row's ``last_status_message`` for a failed or cancelled run."""
    run_id = outcome.run.run_id
    if outcome.outcome is Outcome.CANCELED:
        return f"Cancelled - Dagster run {run_id} was cancelled"
    first_line = ((outcome.reason or "").strip().splitlines() or ["the run failed"])[0]
    return f"Run {run_id} failed: {first_line}"


def _record(
    outcome: RunOutcome, context: dg.RunStatusSensorContext, resources: Mapping[str, Any]
) -> None:
    claim = claim_of(outcome.run)
    if claim is None:
        return
    lakebase: LakebaseResource = resources["lakebase"]
    message = status_message(outcome)
    if lakebase.get_client().record_load_failure(*claim, message):
        context.log.warning(f"{outcome.run.tags.get('dataloader/control_key')}: {message}")


def build_run_outcome_sensors(
    default_status: dg.DefaultSensorStatus, minimum_interval_seconds: int = 30
) -> list[dg.SensorDefinition]:
    """``table_load_failure_sensor`` and ``table_load_canceled_sensor``, each ticking every
    ``minimum_interval_seconds``."""
    spec = OutcomeSensors(
        sensors={
            Outcome.FAILURE: (
                "table_load_failure_sensor",
                "Fails the Lakebase row of a load run that failed, whatever failed it.",
            ),
            Outcome.CANCELED: (
                "table_load_canceled_sensor",
                "Fails the Lakebase row of a load run that was cancelled.",
            ),
        },
        required_resource_keys={"lakebase"},
        minimum_interval_seconds=minimum_interval_seconds,
    )
    return run_lifecycle.build_run_outcome_sensors(spec, _record, default_status)
