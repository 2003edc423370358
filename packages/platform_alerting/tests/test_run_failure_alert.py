"""The run-failure alert names its object and stays within Slack's limits, received by a real
local HTTP sink from real failed runs."""

import json
from collections.abc import Callable, Iterator

import dagster as dg
import pytest
from pytest_httpserver import HTTPServer

from platform_alerting import Alert, LocalSink, build_run_failure_sensor, sink_for_environment
from platform_alerting.sinks import HEADER_CHARS, MAX_BLOCKS, SECTION_CHARS, TEXT_CHARS

SUBJECTS = {"latest_gcs_key": "File", "dagster/partition": "Partition"}
RED, RESET = "\x1b[31m", "\x1b[0m"


class Load(dg.Config):
    message: str


@dg.op
def load_file(config: Load) -> None:
    raise ValueError(config.message)


@dg.job
def gcs_to_bq_load_job() -> None:
    load_file()


@dg.asset
def fct_events() -> int:
    return 0


@dg.asset_check(asset=fct_events, blocking=True)
def not_null_fct_events_user_id() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False, description="Got 3 results, configured to fail if != 0"
    )


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def sink(sink_url: str, httpserver: HTTPServer) -> HTTPServer:
    return httpserver


def alert_of(instance: dg.DagsterInstance, sink: HTTPServer, run: Callable[[], object]) -> dict:
    """The one alert the run failure sensor sends for the failed run ``run`` makes."""
    sensor = build_run_failure_sensor(
        "estore", lambda: sink_for_environment("#e"), subjects=SUBJECTS
    )
    repository = dg.Definitions(sensors=[sensor]).get_repository_def()

    def tick(cursor: str | None) -> str | None:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, repository_def=repository, sensor_name=sensor.name
        )
        return sensor.evaluate_tick(context).cursor

    cursor = tick(None)  # a run status sensor starts from now
    run()
    tick(cursor)
    [alert] = [json.loads(request.get_data()) for request, _ in sink.log]
    return alert


def fail_load(instance: dg.DagsterInstance, message: str) -> None:
    gcs_to_bq_load_job.execute_in_process(
        run_config={"ops": {"load_file": {"config": {"message": message}}}},
        instance=instance,
        tags={"latest_gcs_key": "events/2019-10.csv"},
        raise_on_error=False,
    )


def test_the_alert_names_the_file_and_puts_the_error_first_without_colour(
    instance: dg.DagsterInstance, sink: HTTPServer
) -> None:
    alert = alert_of(instance, sink, lambda: fail_load(instance, f"{RED}row 7: price 'abc'{RESET}"))
    assert alert["title"] == "Run failed: gcs_to_bq_load_job (file events/2019-10.csv)"
    assert list(alert["details"])[:2] == ["Error", "File"]
    assert alert["details"]["Error"] == "load_file: ValueError: row 7: price 'abc'"
    assert alert["details"]["File"] == "events/2019-10.csv"
    assert "\x1b" not in json.dumps(alert)
    assert alert["text"].splitlines()[1] == "Error: load_file: ValueError: row 7: price 'abc'"


def test_a_huge_alert_stays_within_slack_limits(sink: HTTPServer) -> None:
    details = {f"Detail {n}": "x" * 100_000 for n in range(80)}
    LocalSink(sink.url_for("/alerts")).send(Alert("run_failure", "estore", "y" * 500, details))
    [alert] = [json.loads(request.get_data()) for request, _ in sink.log]
    assert len(alert["text"]) <= TEXT_CHARS and alert["text"].endswith("(truncated)")
    assert len(alert["blocks"]) == MAX_BLOCKS
    header, *sections = alert["blocks"]
    assert len(header["text"]["text"]) <= HEADER_CHARS
    assert all(len(block["text"]["text"]) <= SECTION_CHARS for block in sections)


def test_a_long_run_error_is_cut_in_the_alert(
    instance: dg.DagsterInstance, sink: HTTPServer
) -> None:
    alert = alert_of(instance, sink, lambda: fail_load(instance, "x" * 100_000))
    assert len(alert["details"]["Error"]) <= 1500 and len(alert["text"]) <= TEXT_CHARS


def test_a_failing_dbt_test_comes_first(instance: dg.DagsterInstance, sink: HTTPServer) -> None:
    def run() -> None:
        dg.materialize(
            [fct_events, not_null_fct_events_user_id], instance=instance, raise_on_error=False
        )

    alert = alert_of(instance, sink, run)
    assert alert["details"]["Error"] == (
        "check not_null_fct_events_user_id on fct_events failed: "
        "Got 3 results, configured to fail if != 0"
    )
