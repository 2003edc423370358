"""``asset_health_sensor``: alerts when an asset of the location is late or fails a check.

Late means its freshness policy is in the FAIL state (the freshness daemon's record); a check
fails when its latest evaluation did not pass. Each episode alerts once; the cursor keeps the
open ones, and a recovery (fresh again, the check passes) closes one with a short message.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from platform_alerting.episodes import send_and_remember
from platform_alerting.sinks import Alert, AlertSink


@dataclass(frozen=True)
class AssetProblem:
    subject: str  # "late: <asset>" or "check failed: <asset>:<check>"
    asset: str
    detail: str


def late_assets(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey]) -> list[AssetProblem]:
    """The assets whose freshness policy currently fails."""
    records = instance.get_freshness_state_records(list(keys))
    return [
        AssetProblem(
            f"late: {key.to_user_string()}",
            key.to_user_string(),
            "its freshness policy fails: no materialization within its window",
        )
        for key, record in sorted(records.items(), key=lambda item: item[0].to_user_string())
        if record.freshness_state == FreshnessState.FAIL
    ]


def failed_checks(
    instance: dg.DagsterInstance, keys: Iterable[dg.AssetCheckKey]
) -> list[AssetProblem]:
    """The checks whose latest evaluation failed."""
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(keys))
    problems = []
    for key, record in sorted(records.items(), key=lambda item: item[0].to_user_string()):
        if record.status != AssetCheckExecutionRecordStatus.FAILED:
            continue
        evaluation = record.event.asset_check_evaluation if record.event else None
        detail = (evaluation.description if evaluation else None) or "the check did not pass"
        problems.append(
            AssetProblem(
                f"check failed: {key.to_user_string()}", key.asset_key.to_user_string(), detail
            )
        )
    return problems


def build_asset_health_sensor(
    location: str,
    sink: Callable[[], AlertSink],
    minimum_interval_seconds: int = 120,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    @dg.sensor(
        name="asset_health_sensor",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            f"Alerts once per episode when a {location} asset is late (its freshness policy "
            "fails) or one of its checks fails, and again when it recovers."
        ),
    )
    def asset_health_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        graph = context.repository_def.asset_graph if context.repository_def else None
        problems: list[AssetProblem] = []
        if graph is not None:
            with_policy = [
                key
                for key in graph.get_all_asset_keys()
                if graph.get(key).freshness_policy_or_from_metadata is not None
            ]
            problems = late_assets(context.instance, with_policy) + failed_checks(
                context.instance, list(graph.asset_check_keys)
            )
        opened: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        current = {problem.subject: problem.asset for problem in problems}
        alerts = [
            Alert(
                kind="asset_problem",
                location=location,
                title=f"Asset {problem.subject}",
                details={"Location": location, "Asset": problem.asset, "Problem": problem.detail},
            )
            for problem in problems
            if problem.subject not in opened
        ]
        alerts += [
            Alert(
                kind="asset_recovered",
                location=location,
                title=f"Asset recovered: {subject}",
                details={"Location": location, "Asset": asset},
            )
            for subject, asset in sorted(opened.items())
            if subject not in current
        ]
        return send_and_remember(context, sink, alerts, current, "asset problem")

    return asset_health_sensor
