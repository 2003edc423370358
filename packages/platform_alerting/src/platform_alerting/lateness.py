"""A location's "on schedule" check: each item (a table, a report) is late when its own
schedule's due time passed, plus a grace, without a result.

One asset-level freshness policy cannot say this when one asset holds many items, each with
its own cron (a partition per table or report). The location gives a function that lists
its late items; this module turns it into an asset check (shown on the asset, runnable from
the UI) and a sensor that evaluates it every few minutes without a run. A failing
evaluation is alerted by ``asset_health_sensor`` like any other failed check.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from platform_alerting.operator_metadata import preview


@dataclass(frozen=True)
class LateItem:
    name: str
    due_at: dt.datetime
    last_result_at: dt.datetime | None


@dataclass(frozen=True)
class Lateness:
    checked: int
    late: Sequence[LateItem]


FindLate = Callable[[Any, dt.datetime], Lateness]
"""``(context, now) -> Lateness``: the check's or the sensor's context (both have
``instance`` and ``resources``)."""


def _stamp(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def lateness_result(lateness: Lateness, what: str) -> dg.AssetCheckResult:
    late = sorted(lateness.late, key=lambda item: item.due_at)
    if not late:
        description = f"all {lateness.checked} {what} on schedule"
    else:
        names = ", ".join(item.name for item in late[:10])
        more = f" and {len(late) - 10} more" if len(late) > 10 else ""
        description = f"{len(late)} of {lateness.checked} {what} late: {names}{more}"
    metadata: dict[str, Any] = {"checked": lateness.checked, "late": len(late)}
    if late:
        metadata["late_items"] = preview(
            ["item", "due at", "last result"],
            [[item.name, _stamp(item.due_at), _stamp(item.last_result_at)] for item in late],
        )
    return dg.AssetCheckResult(passed=not late, description=description, metadata=metadata)


def build_lateness_check(
    *,
    asset: dg.AssetKey,
    name: str,
    what: str,
    description: str,
    find_late: FindLate,
    resource_keys: set[str],
    sensor_name: str,
    interval_seconds: int = 300,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> tuple[dg.AssetChecksDefinition, dg.SensorDefinition]:
    """The check on ``asset`` and the sensor that evaluates it every ``interval_seconds``.

    The sensor records an evaluation when the set of late items changes (and on its first
    tick), so the check's history shows each change, not one row per tick.
    """

    @dg.asset_check(
        asset=asset, name=name, description=description, required_resource_keys=resource_keys
    )
    def on_schedule(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        return lateness_result(find_late(context, clock()), what)

    @dg.sensor(
        name=sensor_name,
        minimum_interval_seconds=interval_seconds,
        default_status=default_status,
        required_resource_keys=resource_keys,
        description=f"Evaluates {asset.to_user_string()}:{name}: {description}",
    )
    def lateness_sensor(context: dg.SensorEvaluationContext, **_: Any) -> dg.SensorResult:
        # Invoked directly, a sensor also gets its resources as keyword arguments.
        lateness = find_late(context, clock())
        late = sorted(item.name for item in lateness.late)
        cursor = ",".join(late)
        if context.cursor is not None and context.cursor == cursor:
            return dg.SensorResult(
                skip_reason=dg.SkipReason(f"unchanged: {len(late)} of {lateness.checked} late"),
                cursor=cursor,
            )
        result = lateness_result(lateness, what)
        evaluation = dg.AssetCheckEvaluation(
            asset_key=asset,
            check_name=name,
            passed=result.passed,
            description=result.description,
            metadata=result.metadata,
        )
        return dg.SensorResult(asset_events=[evaluation], cursor=cursor)

    return on_schedule, lateness_sensor
