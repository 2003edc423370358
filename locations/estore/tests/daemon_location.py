"""A code location served by a real ``dagster-daemon`` in test_dead_run_worker.py.

It holds the parts under test: estore's own feed sensor over a local landing folder
(``ESTORE_LANDING_DIR``), the real ``gcs_to_bq_load_job`` into a DuckDB file
(``ESTORE_DUCKDB_PATH``), and ``run_lifecycle``'s dead-run-worker sensor. The only stand-in
is the warehouse: it waits before writing while the file ``HOLD_MARKER`` exists, so the
test can SIGKILL a load's run worker before the file is appended.
"""

import os
import time
from pathlib import Path

import dagster as dg

from estore.csv_load import LoadResult
from estore.jobs.gcs_to_bq_load import gcs_to_bq_load_job
from estore.resources.landing import LandingStore
from estore.resources.warehouse import DuckDBWarehouse
from estore.sensors.gcs_new_file import FeedSpec, build_gcs_new_file_sensor
from object_feed import FeedPolicy
from platform_config import Environment
from run_lifecycle import build_dead_run_worker_sensor

LOCATION = "estore"
INTERVAL = 2
BUCKET = "estore-landing"
PREFIX = "events/"
TABLE = "estore_raw.events"
RETRY_BACKOFF_SECONDS = 3.0


class HeldWarehouse(DuckDBWarehouse):
    """The real DuckDB load, held before it writes while ``hold_marker`` exists; each run
    that holds leaves ``<hold_marker>.<run id>`` so the test knows where it stopped."""

    hold_marker: str

    def load_csv(
        self, path: Path, source_uri: str, generation: str, table: str, run_id: str | None
    ) -> LoadResult:
        marker = Path(self.hold_marker)
        if marker.exists():
            marker.with_name(f"{marker.name}.{run_id}").touch()
        while marker.exists():
            time.sleep(0.2)
        return super().load_csv(path, source_uri, generation, table, run_id)


feed = FeedSpec(
    name="events",
    bucket=BUCKET,
    prefix=PREFIX,
    table=TABLE,
    policy=FeedPolicy(
        backoff_base_seconds=RETRY_BACKOFF_SECONDS, backoff_max_seconds=RETRY_BACKOFF_SECONDS
    ),
    alert_channel="#estore-alerts",
)

defs = dg.Definitions(
    jobs=[gcs_to_bq_load_job(Environment.LOCAL)],
    sensors=[
        build_gcs_new_file_sensor("gcs_new_file_sensor", feed, INTERVAL),
        build_dead_run_worker_sensor(LOCATION, INTERVAL),
    ],
    resources={
        "landing": LandingStore(local_root=os.environ["ESTORE_LANDING_DIR"]),
        "warehouse": HeldWarehouse(
            database=os.environ["ESTORE_DUCKDB_PATH"], hold_marker=os.environ["HOLD_MARKER"]
        ),
    },
)
