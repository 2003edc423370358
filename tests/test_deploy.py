"""Deploy configuration: a Postgres-backed instance that works, monitors runs and purges old
ones; systemd units that systemd accepts; heavy spatial dependencies in one image only."""

import importlib.util
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import dagster as dg
import pytest
import yaml
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import TickStatus

from local_services import PostgresCluster
from tests.conftest import ROOT, image_build_args

DEPLOY = ROOT / "deploy"
INSTANCE_DB_VARIABLES = {
    "hostname": "DAGSTER_POSTGRES_HOST",
    "port": "DAGSTER_POSTGRES_PORT",
    "db_name": "DAGSTER_POSTGRES_DB",
    "username": "DAGSTER_POSTGRES_USER",
    "password": "DAGSTER_POSTGRES_PASSWORD",
}


def test_production_instance_keeps_secrets_in_the_environment() -> None:
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    database = config["storage"]["postgres"]["postgres_db"]
    assert {key: value["env"] for key, value in database.items()} == INSTANCE_DB_VARIABLES
    assert config["telemetry"]["enabled"] is False


def test_the_old_instance_variable_names_are_gone_everywhere() -> None:
    places = [DEPLOY, ROOT / "docs", ROOT / "scripts", ROOT / "README.md"]
    files = [p for place in places for p in ([place] if place.is_file() else place.rglob("*"))]
    stale = [str(f) for f in files if f.is_file() and "DAGSTER_PG_" in f.read_text()]
    assert not stale, f"rename DAGSTER_PG_* to DAGSTER_POSTGRES_* in {stale}"


@dg.op
def _record_count() -> int:
    return 3


@dg.job
def _storage_probe() -> None:
    _record_count()


@pytest.fixture
def production_instance(
    postgres_cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """deploy/dagster.yaml as is, on a real Postgres, credentials from DAGSTER_POSTGRES_*."""
    database = f"dagster_instance_{tmp_path.name[-12:].replace('-', '_').lower()}"
    postgres_cluster.create_database(database)
    for name, value in {
        "DAGSTER_POSTGRES_HOST": "127.0.0.1",
        "DAGSTER_POSTGRES_PORT": str(postgres_cluster.port),
        "DAGSTER_POSTGRES_DB": database,
        "DAGSTER_POSTGRES_USER": "postgres",
        "DAGSTER_POSTGRES_PASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


def test_production_instance_config_runs_on_postgres(
    production_instance: dg.DagsterInstance,
) -> None:
    assert type(production_instance.run_storage).__name__ == "PostgresRunStorage"
    result = _storage_probe.execute_in_process(instance=production_instance)
    assert result.success
    stored = production_instance.get_run_by_id(result.run_id)
    assert stored is not None and stored.status == dg.DagsterRunStatus.SUCCESS


def test_production_instance_monitors_runs_and_purges_ticks(
    production_instance: dg.DagsterInstance,
) -> None:
    assert production_instance.run_monitoring_enabled
    assert production_instance.run_monitoring_start_timeout_seconds == 300
    assert production_instance.run_monitoring_cancel_timeout_seconds == 300
    assert production_instance.run_monitoring_max_runtime_seconds == 86400
    sensor_ticks = production_instance.get_tick_retention_settings(InstigatorType.SENSOR)
    assert sensor_ticks[TickStatus.SKIPPED] == 7
    assert sensor_ticks[TickStatus.FAILURE] == 90
    schedule_ticks = production_instance.get_tick_retention_settings(InstigatorType.SCHEDULE)
    assert set(schedule_ticks.values()) == {90}


def _purge_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("purge_runs", DEPLOY / "purge_runs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_purge_runs_deletes_finished_runs_past_retention_only(
    production_instance: dg.DagsterInstance,
) -> None:
    purge_runs = _purge_module().purge_runs
    finished = [_storage_probe.execute_in_process(instance=production_instance).run_id]
    in_flight = production_instance.create_run_for_job(_storage_probe, run_id=None)
    production_instance.report_run_canceling(in_flight)  # not a finished status

    assert purge_runs(production_instance, timedelta(days=90)) == 0
    assert production_instance.get_run_by_id(finished[0]) is not None

    assert purge_runs(production_instance, timedelta(0)) == 1
    assert production_instance.get_run_by_id(finished[0]) is None
    assert production_instance.get_run_by_id(in_flight.run_id) is not None


def test_purge_runs_refuses_a_retention_below_one_day() -> None:
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "purge_runs.py"), "--older-than-days", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "--older-than-days must be at least 1, got 0" in result.stderr


def _install_units(target: Path, locations: list[str]) -> list[Path]:
    """The units as installed on the VM, with /opt/dagster moved under ``target`` and its
    virtualenvs pointing at this workspace's (systemd checks that each command exists)."""
    prefix = target / "opt" / "dagster"
    (prefix / "instance").mkdir(parents=True)
    (prefix / "instance" / ".venv").symlink_to(ROOT / ".venv")
    units = target / "units"
    units.mkdir()
    installed = []
    for unit in sorted((DEPLOY / "systemd").glob("*.*")):
        if unit.suffix not in {".service", ".timer", ".target"}:
            continue
        text = unit.read_text().replace("/opt/dagster", str(prefix))
        names = [unit.name]
        if unit.name.endswith("@.service"):  # a template: verify one instance per location
            names = [unit.name.replace("@", f"@{location}") for location in locations]
        for name in names:
            (units / name).write_text(text)
            installed.append(units / name)
    for location in locations:
        (prefix / "locations" / location).mkdir(parents=True)
        (prefix / "locations" / location / ".venv").symlink_to(ROOT / ".venv")
    return installed


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_units_pass_systemd_analyze_verify(
    tmp_path: Path, location_names: list[str]
) -> None:
    units = _install_units(tmp_path, location_names)
    result = subprocess.run(
        ["systemd-analyze", "verify", *[u.name for u in units]],
        cwd=units[0].parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # verify exits 0 on some bad settings it only warns about: any output is a finding.
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_systemd_units_bind_the_webserver_to_loopback_and_restart_on_failure() -> None:
    systemd = DEPLOY / "systemd"
    webserver = (systemd / "dagster-webserver.service").read_text()
    assert re.search(r"dagster-webserver -h 127\.0\.0\.1 -p 3000\b", webserver)
    for unit in systemd.glob("*.service"):
        text = unit.read_text()
        assert "DAGSTER_POSTGRES" not in text, f"{unit.name}: secrets belong in override.conf"
        if "Type=oneshot" not in text:
            assert "Restart=on-failure" in text, unit.name
    override = (systemd / "override.conf.example").read_text()
    assert set(INSTANCE_DB_VARIABLES.values()) <= set(re.findall(r"Environment=(\w+)=", override))


def test_only_the_spatial_etl_image_gets_gdal() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())
    system_packages = {
        service["build"]["args"]["LOCATION"]: service["build"]["args"].get("SYSTEM_PACKAGES", "")
        for service in compose["services"].values()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }
    assert {name for name, packages in system_packages.items() if "gdal" in packages} == {
        "spatial_etl"
    }
    instructions = [
        line
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if not line.startswith("#")
    ]
    assert not [line for line in instructions if "gdal" in line.lower()]


def test_compose_runs_the_services_the_locations_use_in_production_form() -> None:
    services = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())["services"]
    images = {name: service.get("image", "") for name, service in services.items()}
    assert images["instance-db"].startswith("postgres:")
    assert images["minio"].startswith("minio/minio")
    assert images["mongodb"].startswith("mongo:")
    assert images["postgis"].startswith("postgis/postgis")
    assert images["gcs"].startswith("fsouza/fake-gcs-server")
    for name in ("webserver", "daemon"):
        assert services[name]["environment"]["DAGSTER_POSTGRES_HOST"] == "instance-db"
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]
    assert "purge_runs.py --older-than-days" in services["purge-runs"]["command"][-1]


def test_only_the_estore_image_prepares_component_state_at_build() -> None:
    """estore's dbt manifest comes from sources in the image; reports' catalogue comes from
    the Django API at run time (discovery), so its image is built without one."""
    prepared = {
        location
        for location, args in image_build_args().items()
        if args.get("PREPARE_DEFS_STATE", "false") == "true"
    }
    assert prepared == {"estore"}
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'prepare_defs_state.sh /src/.venv "$LOCATION" "$PREPARE_DEFS_STATE"' in dockerfile
    assert dockerfile.index("prepare_defs_state.sh /src") < dockerfile.index(
        "rm -rf /src/locations"
    )
