"""A code location served by a real ``dagster-daemon`` in test_dead_run_worker.py.

It holds the dataloader's own parts: ``master_sensor`` claims the due rows of the Lakebase
named by ``LAKEBASE_HOST`` / ``LAKEBASE_PORT`` / ``LAKEBASE_DATABASE`` and launches their
load runs, tagged with the claim; ``dataloader__table_load`` marks its row In Progress under
that claim; the run-outcome sensors fail the row of a failed run; ``run_lifecycle``'s
dead-run-worker sensor fails a run whose worker is gone. Only the compute differs: the load
waits (as it waits on Databricks) until the test SIGKILLs its run worker. The run executes
in its worker process (in-process executor), so that kill ends the load itself.
"""

import time
from typing import Any

import dagster as dg

from dataloader.assets.table_load import dataloader_table_load
from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource
from dataloader.sensors.master import build_master_sensor
from dataloader.sensors.run_outcomes import build_run_outcome_sensors
from dataloader.settings import MasterSensorSettings
from run_lifecycle import build_dead_run_worker_sensor

LOCATION = "dataloader"
INTERVAL = 2
RUNNING = dg.DefaultSensorStatus.RUNNING


class HeldCompute(PipesComputeResource):
    """Compute whose script never returns in time: the test kills the run worker first."""

    def run_script(self, *args: Any, **kwargs: Any) -> dg.PipesClientCompletedInvocation:
        time.sleep(600)
        raise AssertionError("the load was held 600 s and its run worker was never killed")


defs = dg.Definitions(
    assets=[dataloader_table_load],
    sensors=[
        build_master_sensor(MasterSensorSettings(interval_seconds=INTERVAL), RUNNING),
        build_dead_run_worker_sensor(LOCATION, INTERVAL),
        *build_run_outcome_sensors(RUNNING, minimum_interval_seconds=INTERVAL),
    ],
    resources={
        "lakebase": LakebaseResource(
            host=dg.EnvVar("LAKEBASE_HOST"),
            port=dg.EnvVar.int("LAKEBASE_PORT"),
            database=dg.EnvVar("LAKEBASE_DATABASE"),
        ),
        "pipes_databricks": HeldCompute(),
        "databricks_rest": DestinationCatalogResource(),
    },
    executor=dg.in_process_executor,
)
