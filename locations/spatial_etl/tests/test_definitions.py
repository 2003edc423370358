"""The spatial_etl location loads from its defs/ folder, with alerting on."""

import dagster as dg

from spatial_etl.definitions import defs


def test_definitions_load_with_alerting() -> None:
    definitions = defs()
    assert isinstance(definitions, dg.Definitions)
    sensors = {sensor.name: sensor for sensor in definitions.get_repository_def().sensor_defs}
    assert {"run_failure_sensor", "sensor_health_sensor"} <= set(sensors)
    assert sensors["run_failure_sensor"].minimum_interval_seconds == 60
    assert "spatial_etl" in (sensors["sensor_health_sensor"].description or "")
