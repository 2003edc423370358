"""The location's definitions: names, crons, intervals, groups, and a load without dbt parsing."""

from pathlib import Path

import dagster as dg

from estore.definitions import defs


def test_jobs_schedules_and_sensor_are_the_specs(estore_defs: dg.Definitions) -> None:
    daily = estore_defs.get_schedule_def("daily_pipeline_schedule")
    weekly = estore_defs.get_schedule_def("weekly_snapshot_schedule")
    assert (daily.job_name, daily.cron_schedule) == ("dbt_job", "0 0 * * *")
    assert (weekly.job_name, weekly.cron_schedule) == ("dbt_snapshot_job", "0 1 * * 0")
    assert daily.default_status == dg.DefaultScheduleStatus.RUNNING

    sensor = estore_defs.get_sensor_def("dbt_run_on_load_sensor")
    assert sensor.minimum_interval_seconds == 300
    assert [t.job_name for t in sensor.targets] == ["dbt_job"]


def test_dbt_job_runs_the_models_and_the_snapshot_job_the_snapshots(
    estore_defs: dg.Definitions,
) -> None:
    graph = estore_defs.resolve_asset_graph()
    models = {
        k
        for k in graph.get_all_asset_keys()
        if graph.get(k).group_name in ("estore_staging", "estore_marts")
    }
    assert dg.AssetKey(["marts", "fct_events"]) in models
    assert len(models) == 10
    dbt_job = estore_defs.resolve_job_def("dbt_job")
    snapshot_job = estore_defs.resolve_job_def("dbt_snapshot_job")
    assert dbt_job.asset_layer.selected_asset_keys == models
    assert snapshot_job.asset_layer.selected_asset_keys == {
        dg.AssetKey(["snapshots", "snap_user_rfm"]),
        dg.AssetKey(["snapshots", "snap_user_status"]),
    }
    assert {graph.get(k).group_name for k in snapshot_job.asset_layer.selected_asset_keys} == {
        "estore_snapshots"
    }
    # The raw table is the upstream of staging, under the key the load side materializes.
    stg = graph.get(dg.AssetKey(["staging", "stg_events"]))
    assert dg.AssetKey(["estore_raw", "events"]) in stg.parent_keys


def test_definitions_load_from_the_prepared_state_without_dbt(dbt_state: Path) -> None:
    before = dbt_state.stat().st_mtime_ns
    manifest = dbt_state.parent / "project" / "target" / "manifest.json"
    manifest_before = manifest.stat().st_mtime_ns
    definitions = defs()
    assert definitions.resolve_job_def("dbt_job") is not None
    assert dbt_state.stat().st_mtime_ns == before
    assert manifest.stat().st_mtime_ns == manifest_before


def test_file_feed_and_alerting_sensors_are_defined(estore_defs: dg.Definitions) -> None:
    repository = estore_defs.get_repository_def()
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    assert {"run_failure_sensor", "sensor_health_sensor", "gcs_new_file_sensor"} <= set(sensors)
    assert sensors["gcs_new_file_sensor"].minimum_interval_seconds == 300
    assert sensors["gcs_new_file_sensor"].job_name == "gcs_to_bq_load_job"
    assert repository.has_job("gcs_to_bq_load_job")
    assert sensors["run_failure_sensor"].minimum_interval_seconds == 60
    description = sensors["sensor_health_sensor"].description or ""
    assert "estore sensor" in description and "3x its interval" in description
    assert "dead_run_worker_sensor" in sensors


def test_each_job_has_its_own_time_limit(estore_defs: dg.Definitions) -> None:
    repository = estore_defs.get_repository_def()
    limits = {
        name: repository.get_job(name).tags.get("dagster/max_runtime")
        for name in ("gcs_to_bq_load_job", "dbt_job", "dbt_snapshot_job")
    }
    assert limits == {"gcs_to_bq_load_job": "1800", "dbt_job": "7200", "dbt_snapshot_job": "3600"}
