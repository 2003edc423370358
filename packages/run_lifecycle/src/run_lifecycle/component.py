"""``run_lifecycle.RunLifecycle``: a location turns on the dead-run-worker check in YAML."""

import dagster as dg
from pydantic import field_validator

from run_lifecycle.workers import build_dead_run_worker_sensor


class RunLifecycle(dg.Component, dg.Resolvable, dg.Model):
    """Fails the location's STARTED runs whose run worker process is gone from this host
    (``DefaultRunLauncher`` only: ``dg dev``, the systemd VM), so the location's run-failure
    sensors release the run's record within minutes instead of at ``max_runtime_seconds``."""

    location: str | None = None
    dead_worker_interval_seconds: int = 60
    sensors_running: bool = True

    @field_validator("dead_worker_interval_seconds")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"dead_worker_interval_seconds must be at least 1, got {value}")
        return value

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        location = self.location or context.defs_module_name.split(".")[0]
        status = (
            dg.DefaultSensorStatus.RUNNING
            if self.sensors_running
            else dg.DefaultSensorStatus.STOPPED
        )
        sensor = build_dead_run_worker_sensor(location, self.dead_worker_interval_seconds, status)
        return dg.Definitions(sensors=[sensor])
