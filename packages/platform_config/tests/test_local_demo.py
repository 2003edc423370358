"""Demo commands find the running ``dg dev`` session by its daemon's heartbeat, or refuse."""

import time
from pathlib import Path

import dagster as dg
import pytest
from dagster import DagsterInstance
from dagster._daemon.types import DaemonHeartbeat

from platform_config import Environment
from platform_config.local_demo import (
    NoDevSession,
    demo_seed_enabled,
    running_session_home,
    seed_sensor_definitions,
    session_home,
)


def _home(path: Path) -> Path:
    path.mkdir()
    (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return path


def _beat(home: Path, age: float) -> None:
    with DagsterInstance.from_config(str(home)) as instance:
        instance.add_daemon_heartbeat(
            DaemonHeartbeat(time.time() - age, "SENSOR", "daemon-1", errors=[])
        )


def test_a_home_whose_daemon_beats_is_the_running_session(tmp_path: Path) -> None:
    home = _home(tmp_path / "home")
    _beat(home, age=5)
    assert running_session_home({"DAGSTER_HOME": str(home)}) == home


@pytest.mark.parametrize("age", [None, 600.0])
def test_no_or_an_old_heartbeat_is_no_session(tmp_path: Path, age: float | None) -> None:
    home = _home(tmp_path / "home")
    if age is not None:
        _beat(home, age)
    with pytest.raises(NoDevSession, match=r"start \./scripts/dev"):
        running_session_home({"DAGSTER_HOME": str(home)})


def test_without_dagster_home_the_workspace_dagster_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "dg.toml").write_text('directory_type = "workspace"\n')
    (tmp_path / "locations" / "x").mkdir(parents=True)
    assert session_home({}, cwd=tmp_path / "locations" / "x") == tmp_path / ".dagster"
    with pytest.raises(NoDevSession, match="DAGSTER_HOME is not set"):
        session_home({}, cwd=Path("/"))


@pytest.mark.parametrize(
    ("value", "enabled"), [("", True), ("1", True), ("off", False), ("0", False)]
)
def test_seeding_is_on_unless_turned_off(value: str, enabled: bool) -> None:
    assert demo_seed_enabled({"LOCAL_DEMO_SEED": value}) is enabled


def _seed(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    return dg.SkipReason("nothing to seed")


def test_the_seed_sensor_exists_locally_only_and_stays_stopped_when_seeding_is_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def seed_sensor(environment: Environment) -> dg.Definitions:
        return seed_sensor_definitions("demo_seed", _seed, 30, "drops samples.", environment)

    assert not list(seed_sensor(Environment.PROD).sensors or [])
    monkeypatch.delenv("LOCAL_DEMO_SEED", raising=False)
    sensor = seed_sensor(Environment.LOCAL).resolve_sensor_def("demo_seed")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.description == "Local demo: drops samples. Stopped when LOCAL_DEMO_SEED=off."
    monkeypatch.setenv("LOCAL_DEMO_SEED", "off")
    sensor = seed_sensor(Environment.LOCAL).resolve_sensor_def("demo_seed")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
