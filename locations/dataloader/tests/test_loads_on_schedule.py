"""loads_on_schedule on a real Lakebase: a table is late once its cron's due time and the
grace pass without a load, and on schedule again after one; the sensor records each change."""

import datetime as dt

import dagster as dg

from dataloader.checks.schedule import late_tables
from dataloader.components.loads_on_schedule import LoadsOnSchedule
from lakebase import LakebaseClient
from lakebase.testing import ManualClock
from platform_alerting import build_lateness_check

GRACE = dt.timedelta(minutes=30)
SOURCE = "postgresql://x@127.0.0.1/x"


def test_a_table_is_late_after_its_due_time_and_grace_until_it_loads(
    lakebase: LakebaseClient, clock: ManualClock, registration
) -> None:
    # Registered at 12:00, both are due at once (their first load), and load then.
    config_id = lakebase.register_table(registration("hourly", SOURCE), "sql")
    lakebase.register_table(registration("daily", SOURCE, cron_schedule="0 2 * * *"), "sql")
    for queued in lakebase.claim_ready_tables(limit=5):
        lakebase.record_load_success(queued.table.config_id, queued.metadata_id, 10, None, 1.0)
    # hourly is due at 13:00, daily at 02:00 tomorrow.
    assert late_tables(lakebase.get_active_tables(), clock.advance(minutes=89), GRACE).late == []

    lateness = late_tables(lakebase.get_active_tables(), clock.advance(minutes=2), GRACE)
    assert (lateness.checked, [item.name for item in lateness.late]) == (2, ["hourly"])
    (late,) = lateness.late
    assert late.due_at == dt.datetime(2026, 1, 15, 13, 0, tzinfo=dt.UTC)
    assert late.last_result_at == dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)

    (queued,) = lakebase.claim_ready_tables(limit=5)  # hourly, at 13:31
    lakebase.record_load_success(config_id, queued.metadata_id, 10, None, 1.0)
    assert late_tables(lakebase.get_active_tables(), clock(), GRACE).late == []
    # A day on, both are late; an inactive table is never late.
    lakebase.deactivate_unlisted("sql", keep=["hourly"])
    lateness = late_tables(lakebase.get_active_tables(), clock.advance(days=1), GRACE)
    assert (lateness.checked, [item.name for item in lateness.late]) == (1, ["hourly"])


def test_the_sensor_records_an_evaluation_when_the_late_tables_change(
    lakebase: LakebaseClient, lakebase_resource, clock: ManualClock, registration, instance
) -> None:
    lakebase.register_table(registration("hourly", SOURCE), "sql")
    check, sensor = build_lateness_check(
        asset=dg.AssetKey("dataloader__table_load"),
        name="loads_on_schedule",
        what="tables",
        description="on schedule",
        find_late=lambda context, now: late_tables(
            context.resources.lakebase.get_client().get_active_tables(), now, GRACE
        ),
        resource_keys={"lakebase"},
        sensor_name="loads_on_schedule_sensor",
        clock=clock,
    )

    def tick(cursor: str | None) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"lakebase": lakebase_resource}
        )
        result = sensor(context)
        assert isinstance(result, dg.SensorResult)
        return result

    first = tick(None)
    (on_time,) = first.asset_events
    assert isinstance(on_time, dg.AssetCheckEvaluation) and on_time.passed
    assert tick(first.cursor).asset_events == []  # nothing changed, nothing recorded

    clock.advance(hours=2)
    (late,) = tick(first.cursor).asset_events
    assert isinstance(late, dg.AssetCheckEvaluation) and not late.passed
    assert late.description == "1 of 1 tables late: hourly"
    assert "| hourly | 2026-01-15 12:00 UTC | never |" in str(late.metadata["late_items"].value)

    result = check(dg.build_asset_check_context(resources={"lakebase": lakebase_resource}))
    assert isinstance(result, dg.AssetCheckResult) and not result.passed


def test_the_component_declares_the_check_and_its_sensor() -> None:
    defs = LoadsOnSchedule(interval_seconds=120, grace_minutes=10).build_defs(None)  # type: ignore[arg-type]
    (sensor,) = defs.sensors or []
    assert (sensor.name, sensor.minimum_interval_seconds) == ("loads_on_schedule_sensor", 120)
    (check,) = defs.asset_checks or []
    assert [key.name for key in check.check_keys] == ["loads_on_schedule"]  # type: ignore[union-attr]
