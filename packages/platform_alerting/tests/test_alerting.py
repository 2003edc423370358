"""Alert sensors against a real local HTTP sink and real tick and run records."""

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    SensorInstigatorData,
    TickData,
    TickStatus,
)
from dagster_shared.error import SerializableErrorInfo
from pytest_httpserver import HTTPServer

from platform_alerting import (
    Alert,
    Alerting,
    HealthPolicy,
    LocalSink,
    SlackSink,
    build_run_failure_sensor,
    build_sensor_health_sensor,
    sink_for_environment,
)
from platform_config import SettingsError

LOCATION = "estore"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def received(httpserver: HTTPServer) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in httpserver.log]


# -- sinks -------------------------------------------------------------------------------------


def test_the_environment_picks_the_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(sink_for_environment("#a", {}), LocalSink)
    slack = sink_for_environment(
        "#estore", {"DAGSTER_ENVIRONMENT": "prod", "SLACK_BOT_TOKEN": "xoxb-1"}
    )
    assert isinstance(slack, SlackSink) and slack.channel == "#estore"
    assert "xoxb-1" not in repr(vars(slack))
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is not set"):
        sink_for_environment("#estore", {"DAGSTER_ENVIRONMENT": "npd"})


def test_local_sink_retries_a_failing_webhook_then_raises(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("no", status=503)
    alert = Alert("run_failure", LOCATION, "Run failed: x", {"Run ID": "1"})

    with pytest.raises(Exception, match="503"):
        LocalSink(httpserver.url_for("/down")).send(alert)
    assert len(httpserver.log) == 3


def test_loading_alerting_leaves_the_http_client_unimported() -> None:
    # Every location loads this package; httpx is imported only when a webhook is posted.
    probe = "import sys, platform_alerting; sys.exit('httpx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


# -- run_failure_sensor ------------------------------------------------------------------------


@dg.op
def load_file() -> None:
    raise ValueError("events-2019-10.csv row 7: price 'abc' is not a number")


@dg.job
def gcs_to_bq_load_job() -> None:
    load_file()


def test_a_failed_run_is_alerted_with_location_job_run_id_and_error(
    instance: dg.DagsterInstance, sink_url: str, httpserver: HTTPServer
) -> None:
    sensor = build_run_failure_sensor(LOCATION, lambda: sink_for_environment("#estore"))
    repository = dg.Definitions(jobs=[gcs_to_bq_load_job], sensors=[sensor]).get_repository_def()

    def tick(cursor: str | None) -> SensorExecutionData:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, repository_def=repository, sensor_name=sensor.name
        )
        return sensor.evaluate_tick(context)

    first = tick(None)  # a run status sensor starts from now
    result = gcs_to_bq_load_job.execute_in_process(instance=instance, raise_on_error=False)
    second = tick(first.cursor)

    assert not result.success
    assert sensor.name == "run_failure_sensor"
    (body,) = received(httpserver)
    assert body["kind"] == "run_failure"
    assert body["details"] == {
        "Location": LOCATION,
        "Job": "gcs_to_bq_load_job",
        "Run ID": result.run_id,
        "Error": "load_file: ValueError: events-2019-10.csv row 7: price 'abc' is not a number",
    }
    assert body["text"].startswith("[estore] Run failed: gcs_to_bq_load_job\n")
    assert result.run_id in body["text"]
    # The next tick does not alert the same run again.
    tick(second.cursor)
    assert len(received(httpserver)) == 1


# -- sensor_health_sensor ----------------------------------------------------------------------


def add_sensor(
    instance: dg.DagsterInstance,
    name: str,
    *,
    location: str = LOCATION,
    status: InstigatorStatus = InstigatorStatus.RUNNING,
    started: float | None = None,
) -> InstigatorState:
    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin(location), "__repository__"), name
    )
    state = InstigatorState(
        origin,
        InstigatorType.SENSOR,
        status,
        SensorInstigatorData(min_interval=60, last_sensor_start_timestamp=started),
    )
    return instance.add_instigator_state(state)


def add_tick(
    instance: dg.DagsterInstance, state: InstigatorState, status: TickStatus, at: float
) -> None:
    error = None
    if status == TickStatus.FAILURE:
        error = SerializableErrorInfo(
            "GCS is unreachable: set GCS_ENDPOINT", [], "ConnectionError", None
        )
    instance.create_tick(
        TickData(
            instigator_origin_id=state.instigator_origin_id,
            instigator_name=state.name,
            instigator_type=InstigatorType.SENSOR,
            status=status,
            timestamp=at,
            run_ids=[],
            selector_id=state.selector_id,
            error=error,
            skip_reason="nothing new" if status == TickStatus.SKIPPED else None,
        )
    )


def health_tick(
    instance: dg.DagsterInstance, cursor: str | None, now: float
) -> SensorExecutionData:
    sensor = build_sensor_health_sensor(
        LOCATION,
        lambda: sink_for_environment("#estore"),
        HealthPolicy(stall_multiple=3, failing_ticks=3),
        clock=lambda: now,
    )
    context = dg.build_sensor_context(instance=instance, cursor=cursor, sensor_name=sensor.name)
    return sensor.evaluate_tick(context)


def test_health_alerts_a_stalled_and_a_failing_sensor_once_and_ignores_healthy_ones(
    instance: dg.DagsterInstance, sink_url: str, httpserver: HTTPServer
) -> None:
    now = time.time()
    healthy = add_sensor(instance, "gcs_new_file_sensor")
    add_tick(instance, healthy, TickStatus.FAILURE, now - 200)
    add_tick(instance, healthy, TickStatus.SKIPPED, now - 50)
    stalled = add_sensor(instance, "dbt_run_on_load_sensor")
    add_tick(instance, stalled, TickStatus.SUCCESS, now - 20 * 60)
    add_tick(instance, stalled, TickStatus.FAILURE, now - 19 * 60)
    failing = add_sensor(instance, "manifest_sensor")
    for minutes in (3, 2, 1):
        add_tick(instance, failing, TickStatus.FAILURE, now - minutes * 60)
    never_ticked = add_sensor(instance, "new_sensor", started=now - 10 * 60)
    assert never_ticked.name == "new_sensor"
    elsewhere = add_sensor(instance, "other_sensor", location="reports")
    add_tick(instance, elsewhere, TickStatus.SUCCESS, now - 3600)
    stopped = add_sensor(instance, "stopped_sensor", status=InstigatorStatus.STOPPED)
    add_tick(instance, stopped, TickStatus.SUCCESS, now - 3600)

    first = health_tick(instance, None, now)
    second = health_tick(instance, first.cursor, now + 60)

    alerts = {body["details"]["Sensor"]: body for body in received(httpserver)}
    assert set(alerts) == {"dbt_run_on_load_sensor", "manifest_sensor", "new_sensor"}
    stalled_alert = alerts["dbt_run_on_load_sensor"]
    assert stalled_alert["title"] == "Sensor stalled: dbt_run_on_load_sensor"
    assert stalled_alert["details"]["Problem"].startswith("no successful tick for 20.0 min")
    assert "GCS is unreachable: set GCS_ENDPOINT" in stalled_alert["details"]["Last error"]
    failing_alert = alerts["manifest_sensor"]
    assert failing_alert["kind"] == "sensor_failing"
    assert failing_alert["details"]["Problem"] == "its last 3 ticks failed"
    assert "GCS is unreachable" in failing_alert["details"]["Last error"]
    assert alerts["new_sensor"]["details"]["Problem"].startswith(
        "no successful tick since it started"
    )
    # One alert per episode: the next tick, still unhealthy, sends nothing.
    assert len(received(httpserver)) == 3
    assert second.skip_message == "3 open problem(s), nothing new to alert"


def test_health_says_when_a_sensor_recovers(
    instance: dg.DagsterInstance, sink_url: str, httpserver: HTTPServer
) -> None:
    now = time.time()
    sensor = add_sensor(instance, "gcs_new_file_sensor")
    add_tick(instance, sensor, TickStatus.SUCCESS, now - 30 * 60)
    first = health_tick(instance, None, now)
    add_tick(instance, sensor, TickStatus.SUCCESS, now + 10)
    health_tick(instance, first.cursor, now + 20)

    titles = [body["title"] for body in received(httpserver)]
    assert titles == [
        "Sensor stalled: gcs_new_file_sensor",
        "Sensor recovered: gcs_new_file_sensor",
    ]


def test_health_is_quiet_for_a_healthy_location(
    instance: dg.DagsterInstance, sink_url: str, httpserver: HTTPServer
) -> None:
    now = time.time()
    for name in ("a_sensor", "b_sensor"):
        state = add_sensor(instance, name)
        add_tick(instance, state, TickStatus.FAILURE, now - 100)
        add_tick(instance, state, TickStatus.SUCCESS, now - 60)

    result = health_tick(instance, None, now)

    assert received(httpserver) == []
    assert result.skip_message == "0 open problem(s), nothing new to alert"


# -- the component -----------------------------------------------------------------------------


def test_the_component_turns_its_sensors_on_from_yaml() -> None:
    from dagster.components.testing import create_defs_folder_sandbox

    with create_defs_folder_sandbox(project_name="shop") as sandbox:
        path = sandbox.scaffold_component(
            Alerting,
            defs_path="alerting",
            defs_yaml_contents={
                "type": "platform_alerting.Alerting",
                "attributes": {
                    "channel": "#shop-alerts",
                    "run_failure": {"minimum_interval_seconds": 90},
                    "sensor_health": {"stall_multiple": 4, "failing_ticks": 2},
                    "asset_health": {"minimum_interval_seconds": 300},
                },
            },
        )
        with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
            assert isinstance(component, Alerting)
            assert component.channel == "#shop-alerts"
            sensors = {s.name: s for s in defs.get_repository_def().sensor_defs}

    assert set(sensors) == {"run_failure_sensor", "sensor_health_sensor", "asset_health_sensor"}
    assert sensors["run_failure_sensor"].minimum_interval_seconds == 90
    assert sensors["asset_health_sensor"].minimum_interval_seconds == 300
    assert sensors["sensor_health_sensor"].description is not None
    assert "4x" in sensors["sensor_health_sensor"].description
    assert "shop sensor" in sensors["sensor_health_sensor"].description


def test_the_component_rejects_a_stall_multiple_that_would_alert_every_tick() -> None:
    with pytest.raises(Exception, match="stall_multiple"):
        Alerting.resolve_from_dict({"sensor_health": {"stall_multiple": 1}})
