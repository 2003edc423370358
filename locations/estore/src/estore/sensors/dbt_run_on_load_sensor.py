"""``dbt_run_on_load_sensor``: every successful load is followed by a ``dbt_job`` run.

A dbt run includes a load when it started after the load finished (dbt reads every row
loaded since its models last ran). Each tick reads run storage, not an event cursor:

- a ``dbt_job`` run is queued or running: nothing is requested. A queued run will include
  the loads that finish before it starts; loads that finish while one runs wait for it to
  end, so there are never two dbt runs at once and a burst of loads gives one following run;
- otherwise, if a successful load finished after the last ``dbt_job`` run started (or there
  was none), ``dbt_job`` is requested. Its run key names the newest load it includes
  (``dbt_for_<load run id>``), so a repeated tick or a daemon restart asks for the same run
  and Dagster drops the duplicate.

The state is run storage alone. The monitored job is referenced by name: it belongs to the
file-feed side of the location.
"""

from datetime import UTC, datetime

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from pydantic import Field

LOAD_KEY_TAGS = ("latest_gcs_key", "gcs_key")
LOAD_RUN_TAG = "estore/load_run_id"
_IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class DbtRunOnLoadSettings(dg.Model):
    monitored_job: str = Field(
        default="gcs_to_bq_load_job", description="Job whose successful runs start dbt_job."
    )
    interval_seconds: int = Field(default=300, description="minimum_interval_seconds")


def _last_started(instance: dg.DagsterInstance, job_name: str) -> dg.RunRecord | None:
    """The ``job_name`` run that started last (a run that never started included nothing)."""
    for record in instance.get_run_records(dg.RunsFilter(job_name=job_name), limit=20):
        if record.start_time is not None:
            return record
    return None


def plan_dbt_run(
    instance: dg.DagsterInstance, monitored_job: str, dbt_job: str
) -> dg.RunRequest | dg.SkipReason:
    """The request that covers every load not yet included in a dbt run, or why there is none."""
    running = instance.get_run_records(
        dg.RunsFilter(job_name=dbt_job, statuses=_IN_FLIGHT), limit=1
    )
    if running:
        run = running[0].dagster_run
        return dg.SkipReason(
            f"{dbt_job} run {run.run_id} is {run.status.value.lower()}: loads that finish "
            "meanwhile get one run after it"
        )
    last = _last_started(instance, dbt_job)
    since = last.start_time if last is not None else None
    loads = instance.get_run_records(
        dg.RunsFilter(
            job_name=monitored_job,
            statuses=[dg.DagsterRunStatus.SUCCESS],
            updated_after=datetime.fromtimestamp(since, UTC) if since is not None else None,
        )
    )
    waiting = [
        record
        for record in loads
        if since is None or (record.end_time is not None and record.end_time > since)
    ]
    if not waiting:
        return dg.SkipReason(f"every successful {monitored_job} run is included in a dbt run")
    newest = max(waiting, key=lambda record: record.end_time or 0.0).dagster_run
    tags = {LOAD_RUN_TAG: newest.run_id, "estore/loads_included": str(len(waiting))}
    if key := next((newest.tags[t] for t in LOAD_KEY_TAGS if newest.tags.get(t)), None):
        tags["triggered_by"] = key
    return dg.RunRequest(run_key=f"dbt_for_{newest.run_id}", tags=tags)


def build_dbt_run_on_load_sensor(
    settings: DbtRunOnLoadSettings,
    dbt_job: UnresolvedAssetJobDefinition,
    default_status: dg.DefaultSensorStatus,
) -> dg.SensorDefinition:
    @dg.sensor(
        name="dbt_run_on_load_sensor",
        description=(
            f"Starts {dbt_job.name} after successful {settings.monitored_job} runs: one run "
            "for the loads that finished since the last dbt run started, never two at once."
        ),
        job=dbt_job,
        minimum_interval_seconds=settings.interval_seconds,
        default_status=default_status,
    )
    def dbt_run_on_load_sensor(
        context: dg.SensorEvaluationContext,
    ) -> dg.RunRequest | dg.SkipReason:
        outcome = plan_dbt_run(context.instance, settings.monitored_job, dbt_job.name)
        if isinstance(outcome, dg.RunRequest):
            context.log.info(
                f"{outcome.tags['estore/loads_included']} load(s) since the last dbt run, "
                f"newest {outcome.tags[LOAD_RUN_TAG]}: requesting {outcome.run_key}"
            )
        return outcome

    return dbt_run_on_load_sensor
