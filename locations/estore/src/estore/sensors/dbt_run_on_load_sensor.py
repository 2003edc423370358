"""``dbt_run_on_load_sensor``: a successful load of raw events starts ``dbt_job``.

Loads that finish in the same time bucket (15 minutes by default) share one run_key, so a
burst of files triggers one dbt run, not one per file. The bucket comes from when the load
run finished, not from when the tick ran, so re-reading the same success event (after a
daemon restart) requests the same run_key and Dagster drops the duplicate.

A load finishing in a bucket whose dbt run has already started is transformed by the next
bucket's run or by ``daily_pipeline_schedule``; each dbt run reads all raw rows, so nothing is
lost, only later.

Dagster's run-status sensors react to one matching run per tick (and pass over the others),
so a burst of loads is read over several ticks; loads of one bucket still share one run_key.

The monitored job is referenced by name: it belongs to the file-feed side of the location,
and this sensor watches every run of its own code location, acting on those with that name.
"""

from datetime import UTC, datetime

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from pydantic import Field, field_validator

LOAD_KEY_TAGS = ("latest_gcs_key", "gcs_key")


class DbtRunOnLoadSettings(dg.Model):
    monitored_job: str = Field(
        default="gcs_to_bq_load_job", description="Job whose successful runs start dbt_job."
    )
    interval_seconds: int = Field(default=300, description="minimum_interval_seconds")
    bucket_minutes: int = Field(
        default=15, description="Loads finishing in the same bucket share one dbt run."
    )

    @field_validator("bucket_minutes")
    @classmethod
    def _divides_the_hour(cls, value: int) -> int:
        if value < 1 or 60 % value:
            raise ValueError(f"bucket_minutes={value} must divide 60 (e.g. 5, 10, 15, 30)")
        return value


def run_key_for(finished_at: datetime, bucket_minutes: int) -> str:
    """``dbt_<YYYYmmdd>_<HH><bucket index>``, in UTC (``dbt_20240105_132`` for 13:30-13:44)."""
    at = finished_at.astimezone(UTC)
    return f"dbt_{at:%Y%m%d_%H}{at.minute // bucket_minutes}"


def load_finished_at(context: dg.RunStatusSensorContext) -> datetime:
    """When the load run ended, from its run record."""
    record = context.instance.get_run_record_by_id(context.dagster_run.run_id)
    if record is None or record.end_time is None:
        raise dg.DagsterInvariantViolationError(
            f"Run {context.dagster_run.run_id} of {context.dagster_run.job_name} reported "
            "success but has no end time in the run storage."
        )
    return datetime.fromtimestamp(record.end_time, tz=UTC)


def build_dbt_run_on_load_sensor(
    settings: DbtRunOnLoadSettings,
    dbt_job: UnresolvedAssetJobDefinition,
    default_status: dg.DefaultSensorStatus,
) -> dg.RunStatusSensorDefinition:
    @dg.run_status_sensor(
        name="dbt_run_on_load_sensor",
        description=(
            f"Starts {dbt_job.name} after a successful {settings.monitored_job}, one run per "
            f"{settings.bucket_minutes}-minute bucket."
        ),
        run_status=dg.DagsterRunStatus.SUCCESS,
        request_job=dbt_job,
        minimum_interval_seconds=settings.interval_seconds,
        default_status=default_status,
    )
    def dbt_run_on_load_sensor(context: dg.RunStatusSensorContext) -> dg.RunRequest | None:
        load = context.dagster_run
        if load.job_name != settings.monitored_job:
            return None
        try:
            run_key = run_key_for(load_finished_at(context), settings.bucket_minutes)
        except Exception as exc:
            # The tick fails with this cause and its cursor stays put: the next tick retries.
            context.log.error(f"dbt_run_on_load_sensor: load run {load.run_id}: {exc}")
            raise
        tags = {"estore/load_run_id": load.run_id}
        if key := next((load.tags[t] for t in LOAD_KEY_TAGS if load.tags.get(t)), None):
            tags["triggered_by"] = key
        context.log.info(f"{load.job_name} {load.run_id} succeeded: requesting {run_key}")
        return dg.RunRequest(run_key=run_key, tags=tags)

    return dbt_run_on_load_sensor
