"""What the location defines, and which resources each environment gets."""

import dagster as dg
import pytest

from dataloader.components.control_plane import DataloaderControlPlane
from dataloader.definitions import defs
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource, LocalLakebaseResource
from dataloader.sensors.registrations import declared_registrations
from platform_config import Environment
from platform_config.env_secret import EnvSecret

INTERVALS = {
    "run_failure_sensor": 60,
    "sensor_health_sensor": 120,
    "dead_run_worker_sensor": 60,
    "asset_health_sensor": 120,
    "loads_on_schedule_sensor": 300,
    "table_load_failure_sensor": 30,
    "table_load_canceled_sensor": 30,
    "master_sensor": 60,
    "longqueued_monitor": 600,
    "longrunning_monitor": 600,
    "failed_monitor": 900,
    "landing_table_monitor": 1800,
}


def test_the_spec_sensors_assets_and_job_with_their_intervals() -> None:
    definitions = defs()
    repository = definitions.get_repository_def()
    sensors = {s.name: s for s in repository.sensor_defs}
    assert {name: s.minimum_interval_seconds for name, s in sensors.items()} == INTERVALS
    assert {key.to_user_string() for key in repository.assets_defs_by_key} == {
        "dataloader__table_load",
        "dataloader_retry_analysis",
    }
    assert repository.has_job("landing_table_git_job")
    assert sensors["landing_table_monitor"].job_name == "landing_table_git_job"
    assert set(definitions.resources or {}) == {
        "lakebase",
        "pipes_databricks",
        "databricks_rest",
        "retry_advisor",
        "staging_repository",
    }


def test_yaml_table_loads_travel_as_registrations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_ENVIRONMENT", raising=False)
    registrations, errors = declared_registrations(defs().get_repository_def())
    assert errors == []
    assert {r.control_key for r in registrations} == {
        "demo.public.customers",
        "demo.public.orders",
    }
    orders = next(r for r in registrations if r.control_key == "demo.public.orders")
    assert (orders.load_strategy, orders.incremental_column) == ("incremental", "updated_at")


def test_local_only_demo_tables_are_not_registered_in_prod(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAGSTER_ENVIRONMENT", "prod")
    assert declared_registrations(defs().get_repository_def()) == ([], [])


def test_local_resources_need_no_configuration() -> None:
    resources = DataloaderControlPlane().resources(Environment.LOCAL)
    assert isinstance(resources["lakebase"], LocalLakebaseResource)
    compute = resources["pipes_databricks"]
    assert isinstance(compute, PipesComputeResource) and compute.backend == "subprocess"


def test_production_resources_read_secrets_from_the_environment() -> None:
    resources = DataloaderControlPlane().resources(Environment.PROD)
    lakebase = resources["lakebase"]
    assert type(lakebase) is LakebaseResource
    compute = resources["pipes_databricks"]
    assert isinstance(compute, PipesComputeResource)
    assert compute.backend == "databricks" and compute.timeout_seconds == 10_800
    # Fields stay references to the environment until a run uses them: no secret at load time.
    fields = lakebase.__dict__
    assert fields["password"] == EnvSecret(env="LAKEBASE_PASSWORD")
    assert compute.token == EnvSecret(env="DATABRICKS_TOKEN")
    assert isinstance(fields["host"], dg.EnvVar)


def test_compute_back_end_can_be_forced_in_yaml() -> None:
    plane = DataloaderControlPlane(compute="subprocess")
    assert plane.compute_backend(Environment.PROD) == "subprocess"
    assert DataloaderControlPlane().compute_backend(Environment.NPD) == "databricks"
