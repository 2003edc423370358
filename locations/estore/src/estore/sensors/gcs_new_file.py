"""``gcs_new_file_sensor``: one ``gcs_to_bq_load_job`` run per new CSV file, exactly once.

Each tick lists the feed's prefix after the cursor's watermark (O(new files)) and one page
below it (a file re-delivered under a name that sorts there, such as ``...-fixed.csv``, is
found by that sweep), and ``object_feed`` plans the requests: a file is requested once, followed while its load runs,
retried with backoff when the load fails, and quarantined after the last attempt. The cursor
moves past a file only once its load has succeeded (or it was quarantined); each run carries
the tag ``latest_gcs_key``.
"""

from dataclasses import dataclass

import dagster as dg

from estore.jobs.gcs_to_bq_load import JOB_NAME, LoadFileConfig, load_run_config
from estore.resources.landing import LandingStore
from object_feed import FeedPolicy, ObjectFeed, ObjectInfo
from platform_alerting import Alert, sink_for_environment
from platform_config import current_environment


@dataclass(frozen=True)
class FeedSpec:
    """One file feed: where files land and which table they append to."""

    name: str
    bucket: str
    prefix: str
    table: str
    policy: FeedPolicy
    alert_channel: str
    suffix: str = ".csv"


def build_gcs_new_file_sensor(
    sensor_name: str,
    feed: FeedSpec,
    minimum_interval_seconds: int = 300,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=sensor_name,
        job_name=JOB_NAME,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            f"Loads each new {feed.suffix} file under gs://{feed.bucket}/{feed.prefix} into "
            f"{feed.table}, exactly once ({feed.policy.max_attempts} attempts, then quarantine)."
        ),
    )
    def gcs_new_file_sensor(
        context: dg.SensorEvaluationContext, landing: LandingStore
    ) -> dg.SensorResult:
        environment = current_environment()

        def request(obj: ObjectInfo) -> dg.RunRequest | None:
            if not obj.key.lower().endswith(feed.suffix):
                return None
            file = LoadFileConfig(
                bucket=feed.bucket, key=obj.key, generation=obj.version, table=feed.table
            )
            return dg.RunRequest(
                run_config=load_run_config(environment, file),
                tags={"latest_gcs_key": obj.key, "estore/feed": feed.name},
            )

        feed_plan = ObjectFeed(landing.lister(feed.bucket), feed.prefix, feed.policy)
        try:
            plan = feed_plan.plan(context, request)
        except Exception as exc:
            raise RuntimeError(
                f"{sensor_name}: cannot list {landing.describe(feed.bucket, feed.prefix)}: "
                f"{type(exc).__name__}: {exc}. Check that the bucket exists and is reachable "
                "(locally: ESTORE_GCS_ENDPOINT or ESTORE_LANDING_DIR); the next tick retries."
            ) from exc
        for item in plan.quarantined:
            alert = Alert(
                kind="file_quarantined",
                location="estore",
                title=f"File quarantined: gs://{feed.bucket}/{item.key}",
                details={
                    "Feed": feed.name,
                    "Attempts": str(item.attempts),
                    "Last run ID": item.run_id or "none",
                    "Reason": item.reason or "unknown",
                },
            )
            context.log.error(alert.text())
            try:
                sink_for_environment(feed.alert_channel).send(alert)
            except Exception as exc:
                # Loading goes on: the quarantine is recorded on the run and in this log.
                context.log.error(f"could not send the quarantine alert: {exc}")
        return plan.sensor_result()

    return gcs_new_file_sensor
