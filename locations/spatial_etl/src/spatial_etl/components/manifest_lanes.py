"""``ManifestLanes``: the lanes, their sensors and the run status sensors, from one YAML file.

An analyst adds a lane (a sensor launching a job for some intents), routes a new intent to a
lane, or disables a lane by editing ``defs/lanes/defs.yaml``; ``dg check defs`` validates the
routing (each intent in one lane, one quarantine lane, every job defined).
"""

from typing import Self

import dagster as dg
from pydantic import Field, model_validator

from spatial_etl.intake.lanes import Lane, RouterConfigError, Routing
from spatial_etl.sensors.lane_sensor import build_lane_sensor
from spatial_etl.sensors.run_status import build_run_status_sensors


class ManifestLanes(dg.Component, dg.Model, dg.Resolvable):
    """Manifest routing: one sensor per lane plus the ledger's run status sensors."""

    lanes: list[Lane] = Field(description="The lanes; each intent may appear in one lane only")
    sensors_running: bool = Field(True, description="Sensors start running (else stopped)")
    batch_size: int = Field(50, ge=1, le=1000, description="New manifests read per lane tick")
    alert_channel: str = Field(
        "#spatial-etl-alerts",
        description="Where manifests that fail in a sensor, archive failures and ignored "
        "settings are alerted (Slack in npd/prod, a log line locally)",
    )
    run_status_interval_seconds: int = Field(
        30, ge=5, description="Interval of the run failure/canceled/success sensors"
    )

    @model_validator(mode="after")
    def _routing_is_consistent(self) -> Self:
        try:
            Routing.of(self.lanes)
        except RouterConfigError as exc:
            raise ValueError(str(exc)) from None
        return self

    @property
    def routing(self) -> Routing:
        return Routing.of(self.lanes)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        status = (
            dg.DefaultSensorStatus.RUNNING
            if self.sensors_running
            else dg.DefaultSensorStatus.STOPPED
        )
        routing = self.routing
        lane_sensors = [
            build_lane_sensor(lane, routing, self.batch_size, status, self.alert_channel)
            for lane in routing.lanes
        ]
        jobs = sorted({lane.job for lane in routing.lanes})
        return dg.Definitions(
            sensors=[
                *lane_sensors,
                *build_run_status_sensors(jobs, self.run_status_interval_seconds, status),
            ]
        )
