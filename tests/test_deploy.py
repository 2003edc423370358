"""Deploy configuration: one image per location, a Postgres-backed instance that works."""

import os
import subprocess
from pathlib import Path

import dagster as dg
import pytest
import yaml

from local_services import PostgresCluster
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
LOCATIONS = ["dataloader", "estore", "reports", "spatial_etl"]


def test_every_location_has_its_own_image_and_grpc_entry() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())
    built = {
        service["build"]["args"]["LOCATION"]: name
        for name, service in compose["services"].items()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }
    assert sorted(built) == LOCATIONS
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"]
    grpc = {entry["grpc_server"]["location_name"]: entry["grpc_server"] for entry in workspace}
    assert sorted(grpc) == LOCATIONS
    for location, service in built.items():
        assert grpc[location]["host"] == service  # each location is its own container
    assert compose["services"]["webserver"]["ports"] == ["127.0.0.1:3000:3000"]


def test_production_instance_keeps_secrets_in_the_environment() -> None:
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    database = config["storage"]["postgres"]["postgres_db"]
    assert all(set(value) == {"env"} for value in database.values())
    assert config["telemetry"]["enabled"] is False


@dg.op
def _record_count() -> int:
    return 3


@dg.job
def _storage_probe() -> None:
    _record_count()


def test_production_instance_config_runs_on_postgres(
    postgres_cluster: PostgresCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres_cluster.create_database("dagster_instance")
    for name, value in {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres_cluster.port),
        "DAGSTER_PG_DB": "dagster_instance",
        "DAGSTER_PG_USER": "postgres",
        "DAGSTER_PG_PASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "dagster.yaml").write_text((DEPLOY / "dagster.yaml").read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = _storage_probe.execute_in_process(instance=instance)
        assert result.success
        stored = instance.get_run_by_id(result.run_id)
        assert stored is not None and stored.status == dg.DagsterRunStatus.SUCCESS


@pytest.mark.slow
def test_a_location_installs_and_loads_alone_without_editable_sources(tmp_path: Path) -> None:
    """What deploy/Dockerfile does: one location, non-editable, then its definitions load."""
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(
        ["uv", "sync", "--frozen", "--no-dev", "--no-editable", "--package", "dataloader", "-q"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import estore"], capture_output=True, text=True
    )
    assert installed.returncode != 0  # the other locations are not in the image
    loaded = subprocess.run(
        [str(venv / "bin" / "dagster"), "definitions", "validate", "-m", "dataloader.definitions"],
        cwd=tmp_path,
        env={**env, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "Validation successful" in loaded.stdout + loaded.stderr
