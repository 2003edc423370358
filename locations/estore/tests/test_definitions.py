"""The estore location loads from its defs/ folder."""

import dagster as dg

from estore.definitions import defs


def test_definitions_load_from_the_defs_folder() -> None:
    definitions = defs()
    assert isinstance(definitions, dg.Definitions)
    repository = definitions.get_repository_def()
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    assert {"run_failure_sensor", "sensor_health_sensor"} <= set(sensors)
    assert sensors["run_failure_sensor"].minimum_interval_seconds == 60
    description = sensors["sensor_health_sensor"].description or ""
    assert "estore sensor" in description and "3x its interval" in description
