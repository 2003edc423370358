"""reports_on_schedule on real report runs (simulators, local Delta): a report is late once
its due time and the grace pass without results for it, on schedule once they are stored."""

import datetime as dt

import dagster as dg
import pytest

from reports.catalogue import CatalogueEntry
from reports.checks.on_schedule import build_reports_on_schedule, late_reports, latest_due

pytestmark = pytest.mark.integration

DUE = dt.datetime(2024, 3, 1, 6, 0, tzinfo=dt.UTC)
GRACE = dt.timedelta(minutes=30)
DAILY = CatalogueEntry(report_id=1, name="Daily", cron="0 6 * * *")


def test_latest_due_is_the_last_fire_time_at_or_before() -> None:
    assert latest_due("0 6 * * *", DUE) == DUE
    assert latest_due("0 6 * * *", DUE - dt.timedelta(seconds=1)) == DUE - dt.timedelta(days=1)


def test_a_report_is_late_until_its_due_time_has_results(
    instance: dg.DagsterInstance, report_run
) -> None:
    bad_cron = CatalogueEntry(report_id=9, name="Bad", cron="nope", cron_error="not a cron")

    lateness = late_reports(
        instance, [DAILY, bad_cron], DUE + GRACE + dt.timedelta(minutes=1), GRACE
    )
    assert lateness.checked == 1
    assert [(item.name, item.due_at, item.last_result_at) for item in lateness.late] == [
        ("report 1 (Daily)", DUE, None)
    ]

    assert report_run(1, DUE).success
    assert late_reports(instance, [DAILY], DUE + dt.timedelta(hours=2), GRACE).late == []

    next_day = DUE + dt.timedelta(days=1) + GRACE + dt.timedelta(minutes=1)
    (late,) = late_reports(instance, [DAILY], next_day, GRACE).late
    assert (late.due_at, late.last_result_at) == (DUE + dt.timedelta(days=1), DUE)

    check, sensor = build_reports_on_schedule([DAILY], GRACE, 300, dg.DefaultSensorStatus.RUNNING)
    # Today (the wall clock) the report is long late: its last results are of DUE.
    (evaluation,) = sensor(dg.build_sensor_context(instance=instance)).asset_events  # type: ignore[union-attr]
    assert isinstance(evaluation, dg.AssetCheckEvaluation) and not evaluation.passed
    assert (evaluation.asset_key, evaluation.check_name) == (
        dg.AssetKey("results_storage"),
        "reports_on_schedule",
    )
    result = check(dg.build_asset_check_context(instance=instance))
    assert isinstance(result, dg.AssetCheckResult) and not result.passed
    assert result.description == "1 of 1 reports late: report 1 (Daily)"
