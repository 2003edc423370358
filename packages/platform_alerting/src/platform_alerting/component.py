"""``platform_alerting.Alerting``: a location turns on its alert sensors in a few YAML lines."""

import dagster as dg
from pydantic import field_validator

from platform_alerting.asset_health import build_asset_health_sensor
from platform_alerting.health import HealthPolicy, build_sensor_health_sensor
from platform_alerting.run_failure import DEFAULT_SUBJECTS, build_run_failure_sensor
from platform_alerting.sinks import AlertSink, sink_for_environment


def _positive(value: int) -> int:
    if value < 1:
        raise ValueError(f"must be at least 1, got {value}")
    return value


class RunFailureSettings(dg.Model, dg.Resolvable):
    """``subjects``: run tag -> label of what a run is about (a file, table, report,
    dataset), named in the alert's title and details."""

    enabled: bool = True
    minimum_interval_seconds: int = 60
    subjects: dict[str, str] = dict(DEFAULT_SUBJECTS)

    _check_interval = field_validator("minimum_interval_seconds")(_positive)


class SensorHealthSettings(dg.Model, dg.Resolvable):
    """``stall_multiple``: alert when no successful tick for this many intervals (> 1);
    ``failing_ticks``: alert when this many ticks in a row failed."""

    enabled: bool = True
    minimum_interval_seconds: int = 120
    stall_multiple: float = 3.0
    failing_ticks: int = 3

    _check_ints = field_validator("minimum_interval_seconds", "failing_ticks")(_positive)

    @field_validator("stall_multiple")
    @classmethod
    def _check_multiple(cls, value: float) -> float:
        if value <= 1:
            raise ValueError(f"stall_multiple must be greater than 1, got {value}")
        return value


class AssetHealthSettings(dg.Model, dg.Resolvable):
    """Alerts on assets that are late (freshness policy fails) or fail a check."""

    enabled: bool = True
    minimum_interval_seconds: int = 120

    _check_interval = field_validator("minimum_interval_seconds")(_positive)


class Alerting(dg.Component, dg.Resolvable, dg.Model):
    """Run failure alerts and sensor health monitoring for the location it is declared in.

    Alerts go to Slack (``channel``, token ``SLACK_BOT_TOKEN``) in npd / prod; locally to a
    log line and, when ``ALERT_WEBHOOK_URL`` is set, a POST to that URL.
    """

    channel: str = "#dagster-alerts"
    location: str | None = None
    sensors_running: bool = True
    run_failure: RunFailureSettings = RunFailureSettings()
    sensor_health: SensorHealthSettings = SensorHealthSettings()
    asset_health: AssetHealthSettings = AssetHealthSettings()

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        location = self.location or context.defs_module_name.split(".")[0]
        channel = self.channel
        status = (
            dg.DefaultSensorStatus.RUNNING
            if self.sensors_running
            else dg.DefaultSensorStatus.STOPPED
        )

        def sink() -> AlertSink:
            return sink_for_environment(channel)

        sensors: list[dg.SensorDefinition] = []
        if self.run_failure.enabled:
            sensors.append(
                build_run_failure_sensor(
                    location,
                    sink,
                    self.run_failure.minimum_interval_seconds,
                    status,
                    self.run_failure.subjects,
                )
            )
        if self.sensor_health.enabled:
            policy = HealthPolicy(
                stall_multiple=self.sensor_health.stall_multiple,
                failing_ticks=self.sensor_health.failing_ticks,
            )
            sensors.append(
                build_sensor_health_sensor(
                    location, sink, policy, self.sensor_health.minimum_interval_seconds, status
                )
            )
        if self.asset_health.enabled:
            sensors.append(
                build_asset_health_sensor(
                    location, sink, self.asset_health.minimum_interval_seconds, status
                )
            )
        return dg.Definitions(sensors=sensors)
