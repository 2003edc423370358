"""The monitors: stuck queues, runaway loads, failures to analyse, tables to describe."""

from datetime import timedelta

import dagster as dg

from dataloader.assets.retry_analysis import RETRY_ANALYSIS_KEY, RETRY_ANALYSIS_OP
from dataloader.jobs.landing_table_git import LANDING_JOB_NAME, LANDING_OP
from dataloader.links import run_id_from_url
from dataloader.resources.lakebase import LakebaseResource
from dataloader.settings import (
    FailedMonitorSettings,
    LandingMonitorSettings,
    LongQueuedSettings,
    LongRunningSettings,
)
from lakebase import Status


def long_queued_message(threshold_minutes: int) -> str:
    return f"Cancelled - stuck in queue for >{threshold_minutes} minutes"


def long_running_message(threshold_minutes: int) -> str:
    return f"Cancelled - exceeded {threshold_minutes} minute timeout"


def build_longqueued_monitor(
    settings: LongQueuedSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    threshold = timedelta(minutes=settings.threshold_minutes)
    message = long_queued_message(settings.threshold_minutes)

    @dg.sensor(
        name="longqueued_monitor",
        description=f"Marks tables Queued for over {settings.threshold_minutes} minutes Failed.",
        minimum_interval_seconds=settings.interval_seconds,
        default_status=default_status,
    )
    def longqueued_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        client = lakebase.get_client()
        failed = [
            t.control_key
            for t in client.get_long_queued(threshold)
            if client.fail_table(t.config_id, message, expected=Status.QUEUED)
        ]
        if not failed:
            return dg.SensorResult(skip_reason="no table is stuck in the queue")
        context.log.warning(f"{message}: {', '.join(failed)}")
        return dg.SensorResult(skip_reason=f"marked {len(failed)} table(s) Failed")

    return longqueued_monitor


def build_longrunning_monitor(
    settings: LongRunningSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    threshold = timedelta(minutes=settings.threshold_minutes)
    message = long_running_message(settings.threshold_minutes)

    @dg.sensor(
        name="longrunning_monitor",
        description=(
            f"Cancels loads In Progress for over {settings.threshold_minutes} minutes "
            "and marks them Failed."
        ),
        minimum_interval_seconds=settings.interval_seconds,
        default_status=default_status,
    )
    def longrunning_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        client = lakebase.get_client()
        cancelled = []
        for table in client.get_long_running(threshold):
            # Fail the row first: the run's own failure handler then finds it no longer
            # In Progress and keeps this message.
            if not client.fail_table(table.config_id, message, expected=Status.IN_PROGRESS):
                continue
            cancelled.append(table.control_key)
            run_id = run_id_from_url(table.last_dagster_run)
            run = context.instance.get_run_by_id(run_id) if run_id else None
            if run is None:
                context.log.warning(f"{table.control_key}: no Dagster run to cancel")
            elif not run.is_finished:
                context.instance.run_coordinator.cancel_run(run.run_id)
                context.log.warning(f"{table.control_key}: cancelled run {run.run_id}")
        if not cancelled:
            return dg.SensorResult(skip_reason="no load exceeds the timeout")
        return dg.SensorResult(skip_reason=f"{message}: {', '.join(cancelled)}")

    return longrunning_monitor


def build_failed_monitor(
    settings: FailedMonitorSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(
        name="failed_monitor",
        description=(
            f"Requests a retry analysis for each Failed table with fewer than "
            f"{settings.max_retries} retries."
        ),
        minimum_interval_seconds=settings.interval_seconds,
        asset_selection=[RETRY_ANALYSIS_KEY],
        default_status=default_status,
    )
    def failed_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        requests = []
        for table in lakebase.get_client().get_failed_for_analysis(settings.max_retries):
            failed_at = (
                table.last_status_date_time.isoformat() if table.last_status_date_time else ""
            )
            config = {
                "config_id": table.config_id,
                "control_key": table.control_key,
                "error_message": table.last_status_message or "",
                "retry_count": table.retry_count,
                "max_retries": settings.max_retries,
                "db_type": table.db_type,
                "load_strategy": table.load_strategy,
            }
            requests.append(
                dg.RunRequest(
                    # One analysis per failure: the same failure keeps the same key.
                    run_key=f"retry:{table.config_id}:{failed_at}",
                    run_config={"ops": {RETRY_ANALYSIS_OP: {"config": config}}},
                    tags={"dataloader/control_key": table.control_key},
                )
            )
        if not requests:
            return dg.SensorResult(skip_reason="no failed table to analyse")
        return dg.SensorResult(run_requests=requests)

    return failed_monitor


def build_landing_table_monitor(
    settings: LandingMonitorSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_table_monitor",
        description="Batches loaded tables without a staging schema file into one git job run.",
        minimum_interval_seconds=settings.interval_seconds,
        job_name=LANDING_JOB_NAME,
        default_status=default_status,
    )
    def landing_table_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        tables = lakebase.get_client().get_unprocessed_landing_tables()
        if not tables:
            return dg.SensorResult(skip_reason="every loaded table has its schema file")
        active = context.instance.get_runs(
            filters=dg.RunsFilter(
                job_name=LANDING_JOB_NAME,
                statuses=[
                    dg.DagsterRunStatus.QUEUED,
                    dg.DagsterRunStatus.NOT_STARTED,
                    dg.DagsterRunStatus.STARTING,
                    dg.DagsterRunStatus.STARTED,
                ],
            ),
            limit=1,
        )
        if active:
            return dg.SensorResult(skip_reason=f"{LANDING_JOB_NAME} is already running")
        config = {"config_ids": [t.config_id for t in tables]}
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_config={"ops": {LANDING_OP: {"config": config}}})]
        )

    return landing_table_monitor
