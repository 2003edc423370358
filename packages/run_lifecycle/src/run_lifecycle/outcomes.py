"""One run-outcome recorder for every location: a run's final status, read from Dagster's
run status sensors, handed to the location's own ``record`` function.

Outcomes come from the run status, not from inside the run: a run can fail before its
first step (a resource that does not initialise, a dead run worker) or be cancelled
(Dagster's interrupt is a ``BaseException``), and only the run status sees those. The
location keeps what is its own (which record, how to write it); this module keeps what
is the same everywhere: the three sensors, the reason text, runs Dagster retries by
itself, and the fence against a newer run of the same work.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import dagster as dg

from run_lifecycle.failure import failure_reason

WILL_RETRY_TAG = "dagster/will_retry"  # Dagster launches a retry: the retry owns the record


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELED = "canceled"


_STATUS = {
    Outcome.SUCCESS: dg.DagsterRunStatus.SUCCESS,
    Outcome.FAILURE: dg.DagsterRunStatus.FAILURE,
    Outcome.CANCELED: dg.DagsterRunStatus.CANCELED,
}


@dataclass(frozen=True)
class RunOutcome:
    """How one run ended: ``reason`` is the failure's root error (None on success)."""

    run: dg.DagsterRun
    outcome: Outcome
    reason: str | None


# record(outcome, context, resources): ``resources`` holds ``required_resource_keys``.
Record = Callable[[RunOutcome, dg.RunStatusSensorContext, Mapping[str, Any]], None]


@dataclass(frozen=True)
class OutcomeSensors:
    """What a location records: per outcome, its sensor's name and description; the
    resources its ``record`` is given; which runs are its own."""

    sensors: Mapping[Outcome, tuple[str, str]]
    required_resource_keys: Collection[str] = ()
    applies: Callable[[dg.DagsterRun], bool] = lambda run: True
    minimum_interval_seconds: int = 30


def newer_run_of_group(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str | None:
    """The id of the newest run created after ``run`` in its run group (a re-execution or
    retry), if there is one: that run owns the record now, not ``run``."""
    group = instance.get_run_group(run.run_id)
    if group is None:
        return None
    records = instance.get_run_records(dg.RunsFilter(run_ids=[r.run_id for r in group[1]]))
    # Storage ids grow with every run created; creation times can tie within a second.
    created = {record.dagster_run.run_id: record.storage_id for record in records}
    mine = created.get(run.run_id)
    if mine is None:
        return None
    newer = [run_id for run_id, order in created.items() if order > mine]
    return max(newer, key=created.__getitem__) if newer else None


def outcome_of(outcome: Outcome, context: dg.RunStatusSensorContext) -> RunOutcome:
    """The ``RunOutcome`` a run status sensor sees; a failure carries its reason."""
    reason = failure_reason(context.for_run_failure()) if outcome is Outcome.FAILURE else None
    return RunOutcome(context.dagster_run, outcome, reason)


def build_run_outcome_sensors(
    spec: OutcomeSensors,
    record: Record,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> list[dg.SensorDefinition]:
    """One run status sensor per outcome named in ``spec`` (in the order named), each
    calling ``record`` once per run of this location that ``spec.applies`` to. A failed run
    that Dagster retries by itself is skipped: its retry resumes the same work."""

    def sensor(outcome: Outcome) -> dg.SensorDefinition:
        def evaluate(context: dg.RunStatusSensorContext, **resources: Any) -> None:
            run = context.dagster_run
            if not spec.applies(run):
                return
            if outcome is Outcome.FAILURE and run.tags.get(WILL_RETRY_TAG) == "true":
                return
            # A tick passes resources through the context, a direct call as arguments.
            for key in spec.required_resource_keys:
                resources.setdefault(key, getattr(context.resources, key))
            record(outcome_of(outcome, context), context, resources)

        name, description = spec.sensors[outcome]
        return dg.RunStatusSensorDefinition(
            name=name,
            run_status=_STATUS[outcome],
            run_status_sensor_fn=evaluate,
            minimum_interval_seconds=spec.minimum_interval_seconds,
            description=description,
            default_status=default_status,
            required_resource_keys=set(spec.required_resource_keys),
        )

    return [sensor(outcome) for outcome in spec.sensors]
