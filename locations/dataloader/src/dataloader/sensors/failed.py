"""``failed_monitor``: one retry analysis per failure of a table with retries left."""

import dagster as dg

from dataloader.assets.retry_analysis import RETRY_ANALYSIS_KEY, RETRY_ANALYSIS_OP
from dataloader.resources.lakebase import LakebaseResource
from dataloader.settings import FailedMonitorSettings


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
