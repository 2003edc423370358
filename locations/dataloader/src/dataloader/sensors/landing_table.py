"""``landing_table_monitor``: loaded tables without a schema file go to the git job."""

import dagster as dg

from dataloader.jobs.landing_table_git import LANDING_JOB_NAME, LANDING_OP
from dataloader.resources.lakebase import LakebaseResource
from dataloader.settings import LandingMonitorSettings


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
