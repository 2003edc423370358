"""``FileFeed``: an analyst adds a file feed (bucket, prefix, table, interval) in YAML."""

import dagster as dg
from pydantic import field_validator

from estore.csv_load import split_table
from estore.jobs.gcs_to_bq_load import gcs_to_bq_load_job
from estore.resources.factory import ingest_resources
from estore.sensors.gcs_new_file import FeedSpec, build_gcs_new_file_sensor
from object_feed import FeedPolicy
from platform_config import current_environment


class FileFeed(dg.Component, dg.Resolvable, dg.Model):
    """CSV files landing under ``gs://{bucket}/{prefix}`` appended to ``destination_table``.

    One sensor per feed, one ``gcs_to_bq_load_job`` run per file, exactly once: a failed
    load is retried ``max_attempts`` times with backoff (``retry_backoff_seconds``, doubling),
    then the file is quarantined and alerted. Dated names are found as they arrive; a file
    named below them later (a fixed re-upload) is found by the sweep below the watermark.
    """

    name: str
    bucket: str
    prefix: str
    destination_table: str = "estore_raw.events"
    interval_seconds: int = 300
    sensor_name: str | None = None
    max_attempts: int = 3
    retry_backoff_seconds: int = 600
    alert_channel: str = "#estore-alerts"
    sensor_running: bool = True

    @field_validator("destination_table")
    @classmethod
    def _table(cls, value: str) -> str:
        split_table(value)
        return value

    @field_validator("interval_seconds", "max_attempts", "retry_backoff_seconds")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"must be at least 1, got {value}")
        return value

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        environment = current_environment()
        feed = FeedSpec(
            name=self.name,
            bucket=self.bucket,
            prefix=self.prefix,
            table=self.destination_table,
            policy=FeedPolicy(
                max_attempts=self.max_attempts,
                backoff_base_seconds=self.retry_backoff_seconds,
                backoff_max_seconds=max(self.retry_backoff_seconds, 6 * 3600),
            ),
            alert_channel=self.alert_channel,
        )
        status = (
            dg.DefaultSensorStatus.RUNNING
            if self.sensor_running
            else dg.DefaultSensorStatus.STOPPED
        )
        sensor = build_gcs_new_file_sensor(
            self.sensor_name or f"{self.name}_gcs_new_file_sensor",
            feed,
            self.interval_seconds,
            status,
        )
        return dg.Definitions(
            sensors=[sensor],
            jobs=[gcs_to_bq_load_job(environment)],
            resources=ingest_resources(environment),
        )
