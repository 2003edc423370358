"""``LoadsOnSchedule``: the ``loads_on_schedule`` check on ``dataloader__table_load`` and the
sensor that evaluates it, with its interval and grace in YAML."""

import datetime as dt
from typing import Any

import dagster as dg
from pydantic import Field

from dataloader.assets.table_load import TABLE_LOAD_OP
from dataloader.checks.schedule import late_tables
from platform_alerting import Lateness, build_lateness_check


class LoadsOnSchedule(dg.Component, dg.Resolvable, dg.Model):
    """Flags the tables whose cron's due time passed, plus ``grace_minutes``, without a load."""

    interval_seconds: int = Field(default=300, ge=30)
    grace_minutes: int = Field(default=30, ge=0)
    sensor_running: bool = True

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        grace = dt.timedelta(minutes=self.grace_minutes)

        def find_late(context: Any, now: dt.datetime) -> Lateness:
            client = context.resources.lakebase.get_client()
            return late_tables(client.get_active_tables(), now, grace)

        check, sensor = build_lateness_check(
            asset=dg.AssetKey(TABLE_LOAD_OP),
            name="loads_on_schedule",
            what="tables",
            description=f"Every active table loaded by its cron's due time (+{self.grace_minutes}"
            " min grace).",
            find_late=find_late,
            resource_keys={"lakebase"},
            sensor_name="loads_on_schedule_sensor",
            interval_seconds=self.interval_seconds,
            default_status=dg.DefaultSensorStatus.RUNNING
            if self.sensor_running
            else dg.DefaultSensorStatus.STOPPED,
        )
        return dg.Definitions(asset_checks=[check], sensors=[sensor])
