"""``sensor_health_sensor``: alerts when a sensor of the location stops ticking or keeps failing.

It reads each running sensor's tick history from the instance. A sensor is *stalled* when its
last successful (or skipped) tick is older than ``stall_multiple`` times its minimum interval,
and *failing* when its last ``failing_ticks`` ticks all failed. Each episode alerts once; the
cursor remembers open episodes, and a recovery closes one with a short message.
"""

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import dagster as dg
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorTick,
    InstigatorType,
    SensorInstigatorData,
    TickStatus,
)

from platform_alerting.episodes import send_and_remember
from platform_alerting.sinks import Alert, AlertSink

DEFAULT_SENSOR_INTERVAL = 30  # Dagster's default minimum interval
_OK = [TickStatus.SUCCESS, TickStatus.SKIPPED]


@dataclass(frozen=True)
class HealthPolicy:
    stall_multiple: float = 3.0
    failing_ticks: int = 3

    def __post_init__(self) -> None:
        if self.stall_multiple <= 1 or self.failing_ticks < 1:
            raise ValueError("stall_multiple must be > 1 and failing_ticks >= 1")


@dataclass(frozen=True)
class SensorProblem:
    sensor: str
    kind: str  # "stalled" or "failing"
    detail: str
    last_error: str | None


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _root_message(tick: InstigatorTick) -> str | None:
    error = tick.error
    if error is None:
        return None
    while error.cause is not None:
        error = error.cause
    return error.message.strip()[:1000]


def location_sensor_states(instance: dg.DagsterInstance, location: str) -> list[InstigatorState]:
    """The running sensors of one code location, as the daemon records them."""
    states = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
    return [
        state
        for state in states
        if state.is_running
        and state.origin.repository_origin.code_location_origin.location_name == location
    ]


def assess(
    instance: dg.DagsterInstance,
    location: str,
    policy: HealthPolicy,
    intervals: Mapping[str, float],
    now: float,
    exclude: frozenset[str] = frozenset(),
) -> list[SensorProblem]:
    """The problems of the location's running sensors right now (failing before stalled)."""
    problems = []
    for state in location_sensor_states(instance, location):
        if state.name in exclude:
            continue
        origin_id, selector_id = state.instigator_origin_id, state.selector_id
        recent = [
            tick
            for tick in instance.get_ticks(origin_id, selector_id, limit=policy.failing_ticks + 2)
            if tick.status != TickStatus.STARTED
        ][: policy.failing_ticks]
        last_failure = next((t for t in recent if t.status == TickStatus.FAILURE), None)
        last_error = _root_message(last_failure) if last_failure else None
        if len(recent) == policy.failing_ticks and all(
            t.status == TickStatus.FAILURE for t in recent
        ):
            problems.append(
                SensorProblem(
                    state.name,
                    "failing",
                    f"its last {policy.failing_ticks} ticks failed",
                    last_error,
                )
            )
            continue
        data = state.instigator_data
        interval = intervals.get(state.name) or (
            data.min_interval if isinstance(data, SensorInstigatorData) else None
        )
        interval = float(interval or DEFAULT_SENSOR_INTERVAL)
        ok = instance.get_ticks(origin_id, selector_id, limit=1, statuses=_OK)
        since = ok[0].timestamp if ok else _started_at(state, instance)
        if since is None:
            continue
        silent = now - since
        if silent > policy.stall_multiple * interval:
            what = "no successful tick" if ok else "no successful tick since it started"
            problems.append(
                SensorProblem(
                    state.name,
                    "stalled",
                    f"{what} for {_minutes(silent)} (interval {_minutes(interval)}, "
                    f"alerting after {policy.stall_multiple:g}x)",
                    last_error,
                )
            )
    return problems


def _started_at(state: InstigatorState, instance: dg.DagsterInstance) -> float | None:
    data = state.instigator_data
    if isinstance(data, SensorInstigatorData) and data.last_sensor_start_timestamp:
        return data.last_sensor_start_timestamp
    oldest = instance.get_ticks(state.instigator_origin_id, state.selector_id)
    return oldest[-1].timestamp if oldest else None


def problem_alert(location: str, problem: SensorProblem) -> Alert:
    details = {"Location": location, "Sensor": problem.sensor, "Problem": problem.detail}
    details["Last error"] = problem.last_error or "none recorded"
    return Alert(
        kind=f"sensor_{problem.kind}",
        location=location,
        title=f"Sensor {problem.kind}: {problem.sensor}",
        details=details,
    )


def recovery_alert(location: str, sensor: str, kind: str) -> Alert:
    return Alert(
        kind="sensor_recovered",
        location=location,
        title=f"Sensor recovered: {sensor}",
        details={"Location": location, "Sensor": sensor, "Was": kind},
    )


def build_sensor_health_sensor(
    location: str,
    sink: Callable[[], AlertSink],
    policy: HealthPolicy = HealthPolicy(),
    minimum_interval_seconds: int = 120,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    clock: Callable[[], float] = time.time,
) -> dg.SensorDefinition:
    name = "sensor_health_sensor"

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            f"Alerts once per episode when a {location} sensor has not ticked successfully "
            f"within {policy.stall_multiple:g}x its interval or failed {policy.failing_ticks} "
            "ticks in a row."
        ),
    )
    def sensor_health_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        intervals: dict[str, float] = {}
        if context.repository_def is not None:
            for sensor_def in context.repository_def.sensor_defs:
                if sensor_def.minimum_interval_seconds:
                    intervals[sensor_def.name] = sensor_def.minimum_interval_seconds
        problems = assess(context.instance, location, policy, intervals, clock(), frozenset({name}))
        open_episodes: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        current = {problem.sensor: problem.kind for problem in problems}
        alerts = [
            problem_alert(location, problem)
            for problem in problems
            if open_episodes.get(problem.sensor) != problem.kind
        ]
        alerts += [
            recovery_alert(location, sensor, kind)
            for sensor, kind in open_episodes.items()
            if sensor not in current
        ]
        return send_and_remember(context, sink, alerts, current, "problem")

    return sensor_health_sensor
