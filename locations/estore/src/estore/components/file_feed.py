"""``FileFeed``: an analyst adds a file feed (bucket, prefix, table, interval) in YAML."""

import dagster as dg
from pydantic import field_validator

from estore.checks.raw_events import build_rows_match_file_check
from estore.csv_load import EVENT_COLUMNS, split_table
from estore.jobs.gcs_to_bq_load import gcs_to_bq_load_job
from estore.resources.factory import ingest_resources
from estore.sensors.gcs_new_file import FeedSpec, build_gcs_new_file_sensor
from object_feed import FeedPolicy
from platform_config import Environment, current_environment


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
        table = raw_table_spec(self.destination_table, self.prefix, environment)
        return dg.Definitions(
            # Non-executable: gcs_to_bq_load_job materializes it, one file per run.
            assets=[dg.AssetsDefinition(specs=[table])],
            asset_checks=[build_rows_match_file_check(table.key)],
            sensors=[sensor],
            jobs=[gcs_to_bq_load_job(environment)],
            resources=ingest_resources(environment),
        )


def raw_table_spec(table: str, prefix: str, environment: Environment) -> dg.AssetSpec:
    """The raw table the feed appends to, as the UI shows it (the load job materializes it)."""
    schema, name = split_table(table)
    return dg.AssetSpec(
        key=dg.AssetKey([schema, name]),
        description=f"Landed CSV files under {prefix}, appended as they arrive, each file once.",
        kinds={"csv", "duckdb"} if environment.is_local else {"csv", "gcs", "bigquery"},
        metadata={
            "dagster/table_name": table,
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(column, sql_type.lower())
                    for column, sql_type in EVENT_COLUMNS.items()
                ]
            ),
        },
    )
