"""``reports_on_schedule``: a report is late when its cron's latest due time passed, plus a
grace, without a result for it (a ``results_storage`` materialization of that due time or a
later one)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

import dagster as dg
from croniter import croniter

from platform_alerting import LateItem, Lateness, build_lateness_check
from reports.catalogue import CatalogueEntry

CHECK = "reports_on_schedule"
SENSOR = "reports_on_schedule_sensor"
RESULTS = dg.AssetKey("results_storage")


def latest_due(cron: str, at: dt.datetime) -> dt.datetime:
    """The latest fire time of ``cron`` (UTC) at or before ``at``."""
    return croniter(cron, at.astimezone(dt.UTC) + dt.timedelta(seconds=1)).get_prev(dt.datetime)


def last_result_due(instance: dg.DagsterInstance, report_id: int) -> dt.datetime | None:
    """The due time of the report's latest stored results, if any."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RESULTS, asset_partitions=[str(report_id)]), limit=1
    ).records
    materialization = records[0].asset_materialization if records else None
    due = materialization.metadata.get("due_at") if materialization else None
    return dt.datetime.fromisoformat(str(due.value)) if due is not None else None


def late_reports(
    instance: dg.DagsterInstance,
    entries: Iterable[CatalogueEntry],
    now: dt.datetime,
    grace: dt.timedelta,
) -> Lateness:
    usable = [entry for entry in entries if entry.cron_error is None]
    late = []
    for entry in usable:
        due = latest_due(entry.cron, now - grace)
        last = last_result_due(instance, entry.report_id)
        if last is None or last < due:
            late.append(LateItem(entry.label, due, last))
    return Lateness(checked=len(usable), late=late)


def build_reports_on_schedule(
    entries: list[CatalogueEntry],
    grace: dt.timedelta,
    interval_seconds: int,
    status: dg.DefaultSensorStatus,
) -> tuple[dg.AssetChecksDefinition, dg.SensorDefinition]:
    """The check on ``results_storage`` and its sensor, for the catalogue's reports."""

    def find_late(context: Any, now: dt.datetime) -> Lateness:
        return late_reports(context.instance, entries, now, grace)

    minutes = int(grace.total_seconds() // 60)
    return build_lateness_check(
        asset=RESULTS,
        name=CHECK,
        what="reports",
        description=f"Every report has results for its cron's latest due time (+{minutes} min "
        "grace).",
        find_late=find_late,
        resource_keys=set(),
        sensor_name=SENSOR,
        interval_seconds=interval_seconds,
        default_status=status,
    )
