"""The local demo's seed: on a fresh local state, one day of sample events lands once.

``dg dev`` alone then shows estore's whole flow: ``gcs_new_file_sensor`` loads the file
(``gcs_to_bq_load_job``), ``dbt_run_on_load_sensor`` sees the load and starts ``dbt_job``.
"Fresh" means the local landing folder holds no events yet; one that does (dropped by hand,
or seeded before) is left as it is.

Two callers, neither while definitions load (which stay free of file and network work):
``scripts/dev`` runs ``python -m estore.local_demo`` beside ``dg dev`` as it starts, so the
file is there at the file sensor's first tick (it polls every 5 minutes); and
``estore_demo_seed_sensor`` seeds at its first tick under a plain ``dg dev``, its cursor
making that once per instance. ``LOCAL_DEMO_SEED=off`` turns both off (the sensor exists,
stopped, in the ``local`` environment only).
"""

import json
import sys
from datetime import date
from pathlib import Path

import dagster as dg

from platform_config import Environment
from platform_config.local_demo import demo_seed_enabled, seed_sensor_definitions

SENSOR_NAME = "estore_demo_seed_sensor"
DEMO_DAY = date(2019, 10, 1)
DEMO_ROWS = 5000


class GcsEmulatorLanding(RuntimeError):
    """The local landing is the GCS emulator (``ESTORE_GCS_ENDPOINT``), not a folder."""


def seed_landing() -> Path | None:
    """Drop the demo day into the local landing folder of ``DAGSTER_HOME`` unless it already
    holds events; the file written, else ``None``."""
    from estore.sample_data import LANDING_BUCKET, drop_events, local_landing_root

    root = local_landing_root()
    if root is None:
        raise GcsEmulatorLanding("the local landing is the GCS emulator: upload events there")
    events = root / LANDING_BUCKET / "events"
    if events.is_dir() and any(events.glob("*.csv")):
        return None
    return drop_events(root, DEMO_ROWS, day=DEMO_DAY)


def seed_once(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Seed at the first tick; later ticks have nothing to do."""
    if context.cursor:
        return dg.SkipReason(f"already seeded: {context.cursor}")
    try:
        path = seed_landing()
    except GcsEmulatorLanding as exc:
        return dg.SkipReason(str(exc))
    if path is None:
        cursor = json.dumps({"skipped": "events were already in the landing folder"})
        return dg.SensorResult(cursor=cursor)
    context.log.info(
        f"dropped {DEMO_ROWS} sample events at {path}: gcs_new_file_sensor loads them at its "
        "next tick, then dbt_run_on_load_sensor starts dbt_job"
    )
    return dg.SensorResult(cursor=json.dumps({"seeded": str(path)}))


def demo_definitions(environment: Environment | None = None) -> dg.Definitions:
    """The seed sensor in the ``local`` environment (stopped when seeding is off), else none."""
    return seed_sensor_definitions(
        SENSOR_NAME,
        seed_once,
        3600,
        "on a fresh local state, drops one day of sample events into the local landing bucket "
        "once.",
        environment,
    )


def main() -> int:
    """``python -m estore.local_demo``: seed ``DAGSTER_HOME``'s landing folder if fresh."""
    if not demo_seed_enabled():
        return 0
    try:
        path = seed_landing()
    except GcsEmulatorLanding as exc:
        print(f"estore demo: {exc}", file=sys.stderr)
        return 0
    if path is not None:
        print(f"estore demo: dropped {DEMO_ROWS} sample events at {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
