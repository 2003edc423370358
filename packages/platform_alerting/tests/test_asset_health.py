"""asset_health_sensor against real check evaluations and freshness records, alerting to a real
local HTTP sink: one alert per episode, a recovery message when it ends."""

import json
from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange
from pytest_httpserver import HTTPServer

from platform_alerting import build_asset_health_sensor, sink_for_environment, window_policy

ROWS = {"expected": 3}


@dg.asset(freshness_policy=window_policy(hours=1))
def table() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=table, name="rows_as_expected")
def rows_as_expected() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=ROWS["expected"] == 3, description=f"expected {ROWS['expected']} rows, found 3"
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def titles(httpserver: HTTPServer) -> list[str]:
    return [json.loads(request.get_data())["title"] for request, _ in httpserver.log]


def test_a_failed_check_and_a_late_asset_alert_once_each_then_recover(
    instance: dg.DagsterInstance, alert_sink: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sensor = build_asset_health_sensor("estore", lambda: sink_for_environment("#estore"))
    repository = dg.Definitions(
        assets=[table], asset_checks=[rows_as_expected], sensors=[sensor]
    ).get_repository_def()

    def tick(cursor: str | None) -> str | None:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, repository_def=repository, sensor_name=sensor.name
        )
        result = sensor(context)
        assert isinstance(result, dg.SensorResult)
        return result.cursor

    monkeypatch.setitem(ROWS, "expected", 5)
    assert dg.materialize([table, rows_as_expected], instance=instance).success
    instance.report_runless_asset_event(
        FreshnessStateChange(
            key=table.key,
            previous_state=FreshnessState.UNKNOWN,
            new_state=FreshnessState.FAIL,
            state_change_timestamp=0.0,
        )
    )
    cursor = tick(tick(None))  # the second tick finds the same problems open
    assert titles(alert_sink) == ["Asset late: table", "Asset check failed: table:rows_as_expected"]
    details = json.loads(alert_sink.log[1][0].get_data())["details"]
    assert details["Problem"] == "expected 5 rows, found 3"

    monkeypatch.setitem(ROWS, "expected", 3)
    assert dg.materialize([table, rows_as_expected], instance=instance).success
    instance.report_runless_asset_event(
        FreshnessStateChange(
            key=table.key,
            previous_state=FreshnessState.FAIL,
            new_state=FreshnessState.PASS,
            state_change_timestamp=1.0,
        )
    )
    assert json.loads(tick(cursor) or "{}") == {}
    assert titles(alert_sink)[2:] == [
        "Asset recovered: check failed: table:rows_as_expected",
        "Asset recovered: late: table",
    ]


def test_freshness_policies_from_yaml_are_the_ones_dagster_evaluates() -> None:
    from platform_alerting import cron_policy

    daily = cron_policy("0 1 * * *", hours=24)
    assert isinstance(daily, dg.FreshnessPolicy)
    assert daily.lower_bound_delta == timedelta(hours=24)  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="lower_bound_delta must be less than or equal"):
        cron_policy("0 * * * *", hours=2)
