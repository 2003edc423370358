"""``failed_monitor``: one retry analysis per failure of a table with retries left.

An analysis run that fails is requested again, up to ``analysis_attempts`` times for the
same failure; after that the table is flagged for review with the reason.
"""

import dagster as dg

from dataloader.assets.retry_analysis import RETRY_ANALYSIS_KEY, RETRY_ANALYSIS_OP
from dataloader.resources.lakebase import LakebaseResource
from dataloader.settings import FailedMonitorSettings
from dataloader.tags import CONTROL_KEY_TAG, RETRY_OF_TAG

_GAVE_UP = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def build_failed_monitor(
    settings: FailedMonitorSettings, default_status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(
        name="failed_monitor",
        description=(
            f"Requests a retry analysis for each Failed table with fewer than "
            f"{settings.max_retries} retries (again if the analysis run fails, "
            f"{settings.analysis_attempts} times at most)."
        ),
        minimum_interval_seconds=settings.interval_seconds,
        asset_selection=[RETRY_ANALYSIS_KEY],
        default_status=default_status,
    )
    def failed_monitor(
        context: dg.SensorEvaluationContext, lakebase: LakebaseResource
    ) -> dg.SensorResult:
        client = lakebase.get_client()
        requests = []
        flagged = []
        for table in client.get_failed_for_analysis(settings.max_retries):
            failed_at = table.last_status_date_time
            failure = f"{table.config_id}:{failed_at.isoformat() if failed_at else ''}"
            runs = context.instance.get_runs(filters=dg.RunsFilter(tags={RETRY_OF_TAG: failure}))
            if any(run.status not in _GAVE_UP for run in runs):
                continue  # an analysis of this failure runs, or ran and decided
            if len(runs) >= settings.analysis_attempts:
                reason = (
                    f"[AI Analysis - Requires Review] the retry analysis failed {len(runs)} "
                    f"times for this failure: {table.last_status_message or ''}"
                )
                if client.mark_for_review(table.config_id, reason, failed_at):
                    flagged.append(table.control_key)
                continue
            config = {
                "config_id": table.config_id,
                "control_key": table.control_key,
                "error_message": table.last_status_message or "",
                "retry_count": table.retry_count,
                "max_retries": settings.max_retries,
                "db_type": table.db_type,
                "load_strategy": table.load_strategy,
                "failed_at": failed_at.isoformat() if failed_at else "",
            }
            attempt = f":{len(runs)}" if runs else ""
            requests.append(
                dg.RunRequest(
                    # One analysis per failure (and per attempt, if earlier ones failed).
                    run_key=f"retry:{failure}{attempt}",
                    run_config={"ops": {RETRY_ANALYSIS_OP: {"config": config}}},
                    tags={CONTROL_KEY_TAG: table.control_key, RETRY_OF_TAG: failure},
                )
            )
        if flagged:
            context.log.warning(f"retry analysis kept failing; flagged: {', '.join(flagged)}")
        if not requests and not flagged:
            return dg.SensorResult(skip_reason="no failed table to analyse")
        return dg.SensorResult(run_requests=requests)

    return failed_monitor
