"""The local demo's seed: on a fresh local state, one day of sample events lands once.

``dg dev`` alone then shows estore's whole flow: ``gcs_new_file_sensor`` loads the file
(``gcs_to_bq_load_job``), ``dbt_run_on_load_sensor`` sees the load and starts ``dbt_job``.
Seeding runs at the sensor's first tick, not while definitions load (which stay free of file
and network work); the sensor's cursor makes it once per instance, and a landing folder that
already holds events (dropped by hand) is left as it is. ``LOCAL_DEMO_SEED=off`` leaves the
sensor stopped; it exists in the ``local`` environment only.
"""

import json
from datetime import date

import dagster as dg

from platform_config import Environment, current_environment
from platform_config.local_demo import SEED_VAR, demo_seed_enabled

SENSOR_NAME = "estore_demo_seed_sensor"
DEMO_DAY = date(2019, 10, 1)
DEMO_ROWS = 5000


def seed_once(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Drop the demo day into the local landing bucket unless it was seeded or holds events."""
    from estore.sample_data import LANDING_BUCKET, drop_events, local_landing_root

    if context.cursor:
        return dg.SkipReason(f"already seeded: {context.cursor}")
    root = local_landing_root()
    if root is None:
        return dg.SkipReason("the local landing is the GCS emulator: upload sample events there")
    events = root / LANDING_BUCKET / "events"
    if events.is_dir() and any(events.glob("*.csv")):
        cursor = json.dumps({"skipped": "events were already in the landing folder"})
        return dg.SensorResult(cursor=cursor)
    path = drop_events(root, DEMO_ROWS, day=DEMO_DAY)
    context.log.info(
        f"dropped {DEMO_ROWS} sample events at {path}: gcs_new_file_sensor loads them at its "
        "next tick, then dbt_run_on_load_sensor starts dbt_job"
    )
    return dg.SensorResult(cursor=json.dumps({"seeded": str(path)}))


def demo_definitions(environment: Environment | None = None) -> dg.Definitions:
    """The seed sensor in the ``local`` environment (stopped when seeding is off), else none."""
    if not (environment or current_environment()).is_local:
        return dg.Definitions()
    sensor = dg.SensorDefinition(
        name=SENSOR_NAME,
        evaluation_fn=seed_once,
        minimum_interval_seconds=3600,
        description=(
            "Local demo: on a fresh local state, drops one day of sample events into the "
            f"local landing bucket once. Stopped when {SEED_VAR}=off."
        ),
        default_status=(
            dg.DefaultSensorStatus.RUNNING
            if demo_seed_enabled()
            else dg.DefaultSensorStatus.STOPPED
        ),
    )
    return dg.Definitions(sensors=[sensor])
