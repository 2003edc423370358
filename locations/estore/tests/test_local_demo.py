"""The local demo: the seed sensor drops one day of events once on a fresh local state, and
the sample-data command writes only into a running ``dg dev`` session."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from estore.local_demo import DEMO_DAY, DEMO_ROWS, SENSOR_NAME, demo_definitions
from estore.resources.factory import ingest_resources
from platform_config import Environment


@pytest.fixture
def local_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name in ("DAGSTER_ENVIRONMENT", "ESTORE_GCS_ENDPOINT", "ESTORE_LANDING_DIR"):
        monkeypatch.delenv(name, raising=False)
    ingest_resources.cache_clear()  # the landing folder follows DAGSTER_HOME
    yield home
    ingest_resources.cache_clear()


def _tick(cursor: str | None = None) -> dg.SensorResult | dg.SkipReason:
    sensor = demo_definitions(Environment.LOCAL).resolve_sensor_def(SENSOR_NAME)
    result = sensor(dg.build_sensor_context(cursor=cursor))
    assert isinstance(result, (dg.SensorResult, dg.SkipReason))
    return result


def test_the_seed_sensor_drops_one_day_of_events_once(local_home: Path) -> None:
    events = local_home / "local/estore/landing/estore-landing/events"
    first = _tick()
    assert isinstance(first, dg.SensorResult) and first.cursor
    dropped = events / f"{DEMO_DAY.isoformat()}.csv"
    assert [p.name for p in events.iterdir()] == [dropped.name]  # no partial file left
    assert len(dropped.read_text().splitlines()) == DEMO_ROWS + 1
    dropped.unlink()
    assert isinstance(_tick(first.cursor), dg.SkipReason)
    assert not list(events.glob("*.csv"))


def test_the_seed_sensor_leaves_a_landing_that_already_holds_events(local_home: Path) -> None:
    events = local_home / "local/estore/landing/estore-landing/events"
    events.mkdir(parents=True)
    (events / "mine.csv").write_text("event_time\n")
    result = _tick()
    assert isinstance(result, dg.SensorResult) and result.cursor
    assert [p.name for p in events.iterdir()] == ["mine.csv"]


def test_the_seed_sensor_is_a_local_demo_sensor() -> None:
    assert not list(demo_definitions(Environment.PROD).sensors or [])
    sensor = demo_definitions(Environment.LOCAL).resolve_sensor_def(SENSOR_NAME)
    assert (sensor.description or "").startswith("Local demo: ")


def test_the_sample_data_command_refuses_without_a_running_session(local_home: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "estore.sample_data", "--rows", "10"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "no dg dev session is running" in refused.stderr and "./scripts/dev" in refused.stderr
    assert not (local_home / "local").exists()
