"""A failed load alerts through the shared alerting package (a real local webhook here)."""

import json

import dagster as dg
from pytest_httpserver import HTTPServer

from dataloader.assets.table_load import dataloader_table_load
from dataloader.definitions import defs
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseClient


def test_a_failed_load_is_alerted_with_its_error(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    resources: dict,
    source_dsn: str,
    registration,
    alert_sink: HTTPServer,
) -> None:
    definitions = defs()
    lakebase.register_table(registration("gone", source_dsn), "sql")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance,
            resources={"lakebase": lakebase_resource},
            definitions=dg.Definitions(sensors=[definitions.resolve_sensor_def("master_sensor")]),
        )
        result = definitions.resolve_sensor_def("master_sensor")(context)
        assert isinstance(result, dg.SensorResult)
        [request] = result.run_requests or []
        run = dg.materialize(
            [dataloader_table_load],
            run_config=request.run_config,
            resources=resources,
            instance=instance,
            tags=request.tags,
            partition_key=request.partition_key,
            raise_on_error=False,
        )
        assert not run.success
        failure = next(e for e in run.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
        sensor = definitions.resolve_sensor_def("run_failure_sensor")
        sensor(  # type: ignore[operator]
            dg.build_run_status_sensor_context(
                sensor_name=sensor.name,
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=run.dagster_run,
            ).for_run_failure()
        )
    [alert] = [json.loads(r.get_data()) for r, _ in alert_sink.log]
    assert alert["kind"] == "run_failure" and alert["location"] == "dataloader"
    assert "gone" in alert["details"]["Error"]
