"""The spatial_etl location loads from its defs/ folder: lanes, their jobs, ledger sensors and
alerting."""

import dagster as dg

from spatial_etl.definitions import defs


def test_definitions_load_from_the_defs_folder() -> None:
    definitions = defs()
    assert isinstance(definitions, dg.Definitions)
    repository = definitions.get_repository_def()
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    lanes = {
        "manifest_sensor": "ingest_job",
        "spatial_sensor": "spatial_asset_job",
        "tabular_sensor": "tabular_asset_job",
        "join_sensor": "join_asset_job",
    }
    limits = {"ingest_job": 7200, "spatial_asset_job": 7200, "tabular_asset_job": 3600}
    limits["join_asset_job"] = 3 * 3600
    for job, seconds in limits.items():  # each lane its own time limit
        assert repository.get_job(job).tags["dagster/max_runtime"] == str(seconds)
    assert "dead_run_worker_sensor" in sensors
    for sensor, job in lanes.items():
        assert sensors[sensor].job_name == job
        assert sensors[sensor].minimum_interval_seconds == 30
        assert sensors[sensor].default_status == dg.DefaultSensorStatus.RUNNING
    assert {
        "manifest_run_failure_sensor",
        "manifest_run_canceled_sensor",
        "manifest_run_success_sensor",
        "run_failure_sensor",
        "sensor_health_sensor",
    } <= set(sensors)
    assert sensors["run_failure_sensor"].minimum_interval_seconds == 60
    assert "spatial_etl" in (sensors["sensor_health_sensor"].description or "")
    assert set(lanes.values()) <= {job.name for job in repository.get_all_jobs()}
