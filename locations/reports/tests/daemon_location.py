"""A code location served by a real ``dagster-daemon`` in test_dead_run_worker.py.

It holds the parts under test: ``run_lifecycle``'s dead-run-worker sensor and reports' own
run-outcome sensors, over the location's ``process_report_job`` and its production
resources (the Django API and Fireant at ``DJANGO_API_URL`` and ``FIREANT_API_URL``: the
simulators in the test). A sensor requests one run per ``[report id, due time]`` that the
test writes to ``HOLD_REPORTS`` (a JSON list), as the cron sensor would. Report 13's Fireant
job never finishes, so its run submits the job, records it in Django and polls on (the
record ``running``) until the test SIGKILLs its run worker.
"""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg

from platform_config import Environment
from reports.assets.processing import PROCESSING_ASSETS
from reports.checks.results import PROCESSING_CHECKS
from reports.components.reports_orchestrator import ReportsOrchestrator, resolved_shared_job
from reports.io_manager import ReportRunIOManager
from reports.runs import PARTITIONS_NAME, run_request
from reports.scheduling.due import DueRun
from reports.sensors.report_run_outcome import build_report_run_outcome_sensors
from reports.settings import load_reports_settings
from run_lifecycle import build_dead_run_worker_sensor

LOCATION = "reports"
INTERVAL = 2

resources = {
    **ReportsOrchestrator().resources(Environment.NPD, load_reports_settings()),
    "io_manager": ReportRunIOManager(),
}
process_report_job = resolved_shared_job(resources)


@dg.sensor(
    job_name=process_report_job.name,
    minimum_interval_seconds=INTERVAL,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def hold_sensor(context: dg.SensorEvaluationContext) -> list[dg.RunRequest]:
    path = Path(os.environ["HOLD_REPORTS"])
    held = json.loads(path.read_text()) if path.exists() else []
    due = [DueRun(int(report), "held", "", dt.datetime.fromisoformat(at)) for report, at in held]
    known = set(context.instance.get_dynamic_partitions(PARTITIONS_NAME))
    if missing := sorted({run.partition_key for run in due} - known):
        context.instance.add_dynamic_partitions(PARTITIONS_NAME, missing)
    return [run_request(run) for run in due]


defs = dg.Definitions(
    assets=PROCESSING_ASSETS,
    asset_checks=PROCESSING_CHECKS,
    jobs=[process_report_job],
    sensors=[
        hold_sensor,
        build_dead_run_worker_sensor(LOCATION, INTERVAL),
        *build_report_run_outcome_sensors(dg.DefaultSensorStatus.RUNNING, INTERVAL),
    ],
    resources=resources,
)
