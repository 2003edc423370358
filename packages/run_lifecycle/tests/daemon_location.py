"""A code location served by a real ``dagster-daemon`` in test_dead_worker_daemon.py.

It holds the parts under test: ``run_lifecycle``'s dead-run-worker sensor and spatial_etl's
own ledger sensors, over a lane job that takes its manifest (``init_mongo_run_op``) and then
waits, so the test can SIGKILL its run worker. A sensor requests one run per batch id that
the test writes to ``HOLD_BATCHES`` (a JSON list).
"""

import json
import os
import time
from pathlib import Path

import dagster as dg

from run_lifecycle import build_dead_run_worker_sensor
from spatial_etl.ops.init_mongo_run import init_mongo_run_op
from spatial_etl.sensors.run_status import build_run_status_sensors
from spatial_platform.mongodb_resource import MongoDBResource

LOCATION = "spatial_etl"
INTERVAL = 2


@dg.op
def wait_for_kill(run_object_id: str) -> str:
    time.sleep(600)  # the test kills the run worker long before
    return run_object_id


@dg.job(executor_def=dg.in_process_executor)
def hold_job() -> None:
    wait_for_kill(init_mongo_run_op())


@dg.sensor(
    job=hold_job, minimum_interval_seconds=INTERVAL, default_status=dg.DefaultSensorStatus.RUNNING
)
def hold_sensor() -> list[dg.RunRequest]:
    path = Path(os.environ["HOLD_BATCHES"])
    batches = json.loads(path.read_text()) if path.exists() else []
    return [dg.RunRequest(run_key=batch, tags={"batch_id": batch}) for batch in batches]


defs = dg.Definitions(
    jobs=[hold_job],
    sensors=[
        hold_sensor,
        build_dead_run_worker_sensor(LOCATION, INTERVAL),
        *build_run_status_sensors(["hold_job"], INTERVAL, dg.DefaultSensorStatus.RUNNING),
    ],
    resources={
        "mongodb": MongoDBResource(
            connection_string=dg.EnvVar("MONGO_CONNECTION_STRING"),
            database=os.environ["LEDGER_DATABASE"],
        )
    },
)
