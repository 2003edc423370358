"""``EstoreDbtAutomation``: when the dbt project runs.

``dbt_job`` (the estore_staging and estore_marts groups) runs after loads (``dbt_run_on_load_sensor``) and daily
(``daily_pipeline_schedule``); ``dbt_snapshot_job`` takes the SCD2 snapshots weekly
(``weekly_snapshot_schedule``). Every cron, interval and selection is in the YAML instance
``defs/dbt_automation/defs.yaml``.
"""

import dagster as dg
from pydantic import Field

from estore.sensors.dbt_run_on_load_sensor import (
    DbtRunOnLoadSettings,
    build_dbt_run_on_load_sensor,
)
from run_lifecycle import max_runtime_tags


class ScheduleSettings(dg.Model):
    cron: str
    timezone: str = "UTC"


class EstoreDbtAutomation(dg.Component, dg.Model, dg.Resolvable):
    """dbt_job, dbt_snapshot_job, their schedules and the run-on-load sensor."""

    running: bool = Field(default=True, description="Schedules and sensor start running.")
    models_groups: list[str] = Field(
        default=["estore_staging", "estore_marts"], description="What dbt_job materializes."
    )
    snapshot_assets: list[str] = Field(
        default=["snapshots/snap_user_rfm", "snapshots/snap_user_status"],
        description="Asset keys of the snapshots dbt_snapshot_job takes.",
    )
    daily_pipeline_schedule: ScheduleSettings = ScheduleSettings(cron="0 0 * * *")
    weekly_snapshot_schedule: ScheduleSettings = ScheduleSettings(cron="0 1 * * 0")
    dbt_run_on_load_sensor: DbtRunOnLoadSettings = DbtRunOnLoadSettings()
    dbt_job_max_runtime_seconds: int = Field(
        default=2 * 3600, description="Time limit of a dbt_job run (dagster/max_runtime)."
    )
    dbt_snapshot_job_max_runtime_seconds: int = Field(
        default=3600, description="Time limit of a dbt_snapshot_job run (dagster/max_runtime)."
    )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        dbt_job = dg.define_asset_job(
            name="dbt_job",
            selection=dg.AssetSelection.groups(*self.models_groups),
            description=f"Run the dbt models (groups {', '.join(self.models_groups)}) and their "
            "tests.",
            tags=max_runtime_tags(self.dbt_job_max_runtime_seconds, "dbt_job"),
        )
        dbt_snapshot_job = dg.define_asset_job(
            name="dbt_snapshot_job",
            selection=dg.AssetSelection.assets(
                *(dg.AssetKey.from_user_string(key) for key in self.snapshot_assets)
            ),
            description="Take the dbt snapshots (SCD type 2 history).",
            tags=max_runtime_tags(self.dbt_snapshot_job_max_runtime_seconds, "dbt_snapshot_job"),
        )
        schedule_status = (
            dg.DefaultScheduleStatus.RUNNING if self.running else dg.DefaultScheduleStatus.STOPPED
        )
        sensor_status = (
            dg.DefaultSensorStatus.RUNNING if self.running else dg.DefaultSensorStatus.STOPPED
        )
        return dg.Definitions(
            jobs=[dbt_job, dbt_snapshot_job],
            schedules=[
                dg.ScheduleDefinition(
                    name="daily_pipeline_schedule",
                    job=dbt_job,
                    cron_schedule=self.daily_pipeline_schedule.cron,
                    execution_timezone=self.daily_pipeline_schedule.timezone,
                    default_status=schedule_status,
                    description="Runs dbt_job even on days without a new file.",
                ),
                dg.ScheduleDefinition(
                    name="weekly_snapshot_schedule",
                    job=dbt_snapshot_job,
                    cron_schedule=self.weekly_snapshot_schedule.cron,
                    execution_timezone=self.weekly_snapshot_schedule.timezone,
                    default_status=schedule_status,
                    description="Captures the weekly SCD type 2 snapshots.",
                ),
            ],
            sensors=[
                build_dbt_run_on_load_sensor(self.dbt_run_on_load_sensor, dbt_job, sensor_status)
            ],
        )
