"""The sweep of ephemeral PostGIS schemas left by killed runs, on a schedule and before
every join.

A run holds a session-level advisory lock on its ``proc_<run_id>`` schema for as long as the
schema exists (``PostGISResource.ephemeral_schema``); a run process killed outright loses its
session, so its schema is the one whose lock nobody holds. The sweep drops those schemas and
marks their runs and manifests ``failure`` in the ledger, without asking Dagster whether
the run is finished: the default run launcher cannot see a dead worker.
"""

from typing import Any

import dagster as dg

from spatial_platform import MongoDBResource, PostGISResource

SWEEP_CRON = "*/10 * * * *"


def sweep_orphaned_schemas(
    postgis: PostGISResource, mongodb: MongoDBResource, log: Any
) -> list[str]:
    """Drop the schemas of dead runs and fail them in the ledger; return the schemas."""
    swept = postgis.sweep_orphaned_schemas()
    for mapping in swept:
        reason = (
            f"the run's process died during its PostGIS work: its schema {mapping.schema_name} "
            "was left with no live session and has been dropped; re-execute the run"
        )
        mongodb.fail_dead_run(mapping.run_id, reason)
        log.warning(f"run {mapping.run_id}: {reason}")
    return [mapping.schema_name for mapping in swept]


@dg.op(
    name="sweep_orphaned_postgis_schemas",
    description="Drops ephemeral PostGIS schemas whose run holds no session (killed runs) and "
    "marks those runs and their manifests failed in the ledger",
)
def sweep_op(
    context: dg.OpExecutionContext, postgis: PostGISResource, mongodb: MongoDBResource
) -> dg.Output[list[str]]:
    if not postgis.server_started():
        context.log.info("the local PostGIS cluster is not running: nothing to sweep")
        return dg.Output([], metadata={"dropped": 0})
    swept = sweep_orphaned_schemas(postgis, mongodb, context.log)
    return dg.Output(swept, metadata={"dropped": len(swept), "schemas": ", ".join(swept)})


@dg.job(
    name="postgis_schema_sweep_job",
    description="Drops the ephemeral PostGIS schemas of killed runs; fails them in the ledger",
    tags={"dagster/max_runtime": "600"},
)
def postgis_schema_sweep_job() -> None:
    sweep_op()


postgis_schema_sweep_schedule = dg.ScheduleDefinition(
    name="postgis_schema_sweep_schedule",
    job=postgis_schema_sweep_job,
    cron_schedule=SWEEP_CRON,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 10 minutes: ephemeral schemas of killed runs never wait for the next join",
)
