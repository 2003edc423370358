"""The component: approach picked in YAML or the environment, definitions built from the
catalogue state, the same resource keys locally and in production."""

from pathlib import Path

import dagster as dg
import pytest
from dagster.components.core.component_tree import ComponentTree
from pydantic import ValidationError

from platform_config import SettingsError
from reports.catalogue_state import write_catalogue
from reports.components import ReportsOrchestrator
from reports.definitions import defs
from reports.resources import DjangoApiResource
from reports.testing import catalogue_of

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESOURCE_KEYS = {"django_api", "fireant_api", "fabric_storage", "io_manager"}
ASSETS = {
    "report_data",
    "external_job_submission",
    "local_job_record",
    "job_completion_status",
    "results_storage",
}
OUTCOME_SENSORS = {
    "report_run_failure_sensor",
    "report_run_canceled_sensor",
    "report_run_outcome_retry_sensor",
}


def build(component: ReportsOrchestrator, state: Path | None) -> dg.Definitions:
    return component.build_defs_from_state(ComponentTree.for_test().load_context, state)


@pytest.fixture
def catalogue_file(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    write_catalogue(catalogue_of((1, "a", "*/5 * * * *"), (2, "b", "0 * * * *")), path)
    return path


def test_the_location_loads_from_its_defs_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCHEDULING_APPROACH", raising=False)
    repository = defs().get_repository_def()
    assert {key.to_user_string() for key in repository.assets_defs_by_key} == ASSETS
    assert {s.name for s in repository.sensor_defs} == {
        "daily_report_discovery_sensor",
        "report_cron_sensor",  # defs.yaml picks the sensor approach
        "run_failure_sensor",  # defs/alerting: platform_alerting
        "sensor_health_sensor",
        "dead_run_worker_sensor",  # defs/run_lifecycle: run_lifecycle
        "asset_health_sensor",
        "reports_on_schedule_sensor",
        *OUTCOME_SENSORS,
    }
    assert set(repository.get_top_level_resources()) >= RESOURCE_KEYS
    assert repository.get_job("process_report_job").tags["dagster/max_runtime"] == "9000"
    partitions = repository.assets_defs_by_key[dg.AssetKey("report_data")].partitions_def
    assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == "reports"


@pytest.mark.parametrize(
    ("approach", "sensors", "schedules"),
    [
        ("sensor", {"daily_report_discovery_sensor", "report_cron_sensor"}, set()),
        ("schedule", {"daily_report_discovery_sensor"}, {"unified_report_schedule"}),
        ("pipeline", {"daily_report_discovery_sensor", "report_pipeline_sensor"}, set()),
    ],
)
def test_each_approach_brings_its_trigger(
    approach: str, sensors: set[str], schedules: set[str], catalogue_file: Path
) -> None:
    repository = build(
        ReportsOrchestrator.model_validate({"scheduling_approach": approach}), catalogue_file
    ).get_repository_def()
    assert {s.name for s in repository.sensor_defs} == sensors | OUTCOME_SENSORS | {
        "reports_on_schedule_sensor"
    }
    assert {s.name for s in repository.schedule_defs} == schedules
    jobs = {job.name for job in repository.get_all_jobs()} - {"__ASSET_JOB"}
    per_report = {"process_report_1", "process_report_2"} if approach == "pipeline" else set()
    assert jobs == {"process_report_job", *per_report}


def test_the_yaml_approach_is_what_a_reload_picks_up_and_the_ui_says_so(
    monkeypatch: pytest.MonkeyPatch, catalogue_file: Path
) -> None:
    monkeypatch.setenv("SCHEDULING_APPROACH", "schedule")  # read once at code-server start
    monkeypatch.setenv("SCHEDULE_CRON_EXPRESSION", "*/10 * * * *")
    # The YAML said `schedule`; it now says `pipeline`, and the location is reloaded.
    component = ReportsOrchestrator.model_validate({"scheduling_approach": "pipeline"})
    repository = build(component, catalogue_file).get_repository_def()
    sensor = repository.get_sensor_def("report_pipeline_sensor")
    assert "*/10 * * * *" in str(sensor.description)  # other variables still win
    assert not repository.schedule_defs
    note = (
        "Active scheduling approach: pipeline (from scheduling_approach in defs/reports/defs.yaml)"
    )
    assert note in str(sensor.description)
    assert note in str(repository.get_sensor_def("daily_report_discovery_sensor").description)


def test_the_environment_chooses_the_approach_when_the_yaml_leaves_it_out(
    monkeypatch: pytest.MonkeyPatch, catalogue_file: Path
) -> None:
    monkeypatch.setenv("SCHEDULING_APPROACH", "schedule")
    repository = build(ReportsOrchestrator.model_validate({}), catalogue_file).get_repository_def()
    schedule = repository.get_schedule_def("unified_report_schedule")
    assert "Active scheduling approach: schedule (from SCHEDULING_APPROACH" in str(
        schedule.description
    )


def test_the_catalogue_is_instance_state_per_dagster_home() -> None:
    from reports.catalogue_state import CatalogueState
    from reports.components.reports_orchestrator import STATE_KEY

    component = ReportsOrchestrator.model_validate({})
    assert component.defs_state_config.management_type.value == "VERSIONED_STATE_STORAGE"
    yaml_text = (PROJECT_ROOT / "src/reports/defs/reports/defs.yaml").read_text()
    assert "management_type: VERSIONED_STATE_STORAGE" in yaml_text
    state = CatalogueState(STATE_KEY, component.defs_state_config.management_type, PROJECT_ROOT)
    with dg.instance_for_test() as one, dg.instance_for_test() as other:
        state.write(catalogue_of((1, "a", "0 * * * *")), one)
        stored = state.read(one)
        assert stored is not None and [e.report_id for e in stored.reports] == [1]
        assert state.read(other) is None  # another DAGSTER_HOME, another catalogue
        assert any((Path(one.root_directory) / "defs_state").rglob("*"))  # under one's home


def test_after_a_deploy_on_an_empty_state_discovery_runs_at_once_and_a_reload_loads_it(
    django_api: DjangoApiResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCHEDULING_APPROACH", raising=False)
    with dg.instance_for_test() as instance:  # a new DAGSTER_HOME: no catalogue at all
        repository = defs().get_repository_def()
        assert (repository.metadata or {})["reports/catalogue_size"].value == 0
        discovery = repository.get_sensor_def("daily_report_discovery_sensor")
        assert (discovery.minimum_interval_seconds or 0) <= 60  # its first tick comes at once
        context = dg.build_sensor_context(instance=instance, resources={"django_api": django_api})
        discovery(context)  # no catalogue: discovery lists the API at once
        cron_sensor = repository.get_sensor_def("report_cron_sensor")
        result = cron_sensor(dg.build_sensor_context(instance=instance))
        assert isinstance(result, dg.SensorResult)
        assert "No report catalogue yet" not in str(result.skip_reason)
        reloaded = defs().get_repository_def()
        assert (reloaded.metadata or {})["reports/catalogue_size"].value == 11


def test_without_state_the_catalogue_is_empty_and_discovery_runs() -> None:
    repository = build(
        ReportsOrchestrator.model_validate({"scheduling_approach": "pipeline"}), None
    ).get_repository_def()
    assert {job.name for job in repository.get_all_jobs()} - {"__ASSET_JOB"} == {
        "process_report_job"
    }
    assert repository.get_sensor_def("daily_report_discovery_sensor").minimum_interval_seconds


def test_a_new_catalogue_shows_after_a_reload(tmp_path: Path) -> None:
    component = ReportsOrchestrator.model_validate({"scheduling_approach": "pipeline"})
    path = tmp_path / "state"
    write_catalogue(catalogue_of((1, "a", "0 * * * *")), path)
    before = {j.name for j in build(component, path).get_repository_def().get_all_jobs()}
    write_catalogue(catalogue_of((2, "b", "0 * * * *"), (3, "c", "0 * * * *")), path)
    after = {j.name for j in build(component, path).get_repository_def().get_all_jobs()}
    assert "process_report_1" in before and "process_report_1" not in after
    assert {"process_report_2", "process_report_3"} <= after


@pytest.mark.parametrize(
    ("attributes", "field"),
    [
        ({"scheduling_approach": "cron"}, "scheduling_approach"),
        ({"cron_sensor_interval_seconds": "soon"}, "cron_sensor_interval_seconds"),
        ({"catchup_window_seconds": "a day"}, "catchup_window_seconds"),
    ],
)
def test_bad_yaml_is_rejected_naming_the_attribute(attributes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ReportsOrchestrator.model_validate(attributes)
    assert field in str(caught.value)


def test_a_bad_value_fails_the_load_naming_its_variable() -> None:
    component = ReportsOrchestrator.model_validate({"schedule_cron_expression": "hourly"})
    with pytest.raises(SettingsError, match="SCHEDULE_CRON_EXPRESSION is invalid"):
        build(component, None)


def test_production_needs_every_credential_and_keeps_them_out_of_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAGSTER_ENVIRONMENT", "prod")
    component = ReportsOrchestrator.model_validate({})
    with pytest.raises(SettingsError, match="FIREANT_API_KEY"):
        build(component, None)
    for name, value in {
        "DJANGO_JWT_TOKEN": "jwt-secret",
        "FIREANT_API_KEY": "fa-secret",
        "AZURE_TENANT_ID": "t",
        "AZURE_CLIENT_ID": "c",
        "AZURE_CLIENT_SECRET": "az-secret",
        "AZURE_ACCOUNT_NAME": "onelake",
        "FABRIC_WORKSPACE_ID": "ws",
    }.items():
        monkeypatch.setenv(name, value)
    resources = build(component, None).resources or {}
    assert set(resources) == RESOURCE_KEYS
    for resource in resources.values():
        assert "secret" not in repr(getattr(resource, "_config_dict", {}))  # EnvVar, not values
