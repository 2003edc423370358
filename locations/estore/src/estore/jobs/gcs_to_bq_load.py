"""``gcs_to_bq_load_job``: append one landed CSV file to its raw table.

In npd / prod it is dagster-gcp's ``import_gcs_paths_to_bq`` (CSV, autodetect, skip the header,
``WRITE_APPEND``). Locally the same job appends to DuckDB with the same semantics, atomically
and at most once per file generation (see ``estore.csv_load``).
"""

import time
from functools import cache
from typing import Any

import dagster as dg

from estore.checks.raw_events import (
    FILE_ROWS,
    ROWS,
    count_file_rows,
    file_preview,
    rows_match_file,
)
from estore.resources.landing import LandingStore
from estore.resources.warehouse import DuckDBWarehouse
from platform_config import Environment
from run_lifecycle import max_runtime_tags

JOB_NAME = "gcs_to_bq_load_job"
# One CSV file into one table: minutes; past this the run is failed (run monitoring) and
# the feed retries the file with backoff.
LOAD_TIME_LIMIT = max_runtime_tags(30 * 60, JOB_NAME)
BQ_LOAD_JOB_CONFIG = {
    "source_format": "CSV",
    "autodetect": True,
    "skip_leading_rows": 1,
    "write_disposition": "WRITE_APPEND",
}


class LoadFileConfig(dg.Config):
    """The file to load and where: one run per file generation."""

    bucket: str
    key: str
    generation: str
    table: str = "estore_raw.events"


@dg.op(name="load_csv_file", description="Append one landed CSV file to its raw table.")
def load_csv_file(
    context: dg.OpExecutionContext,
    config: LoadFileConfig,
    landing: LandingStore,
    warehouse: DuckDBWarehouse,
) -> None:
    source = f"gs://{config.bucket}/{config.key}"
    started = time.monotonic()
    with landing.fetched(config.bucket, config.key, config.generation) as path:
        result = warehouse.load_csv(path, source, config.generation, config.table, context.run_id)
        file_rows, file_bytes = count_file_rows(path), path.stat().st_size
        sample = file_preview(path)
    if result.already_loaded:
        context.log.info(f"{source} (generation {config.generation}) was already loaded")
    key = dg.AssetKey(config.table.split("."))
    context.log_event(
        dg.AssetMaterialization(
            asset_key=key,
            description=f"appended {source}",
            metadata={
                "source": dg.MetadataValue.url(source),
                "generation": config.generation,
                ROWS: result.rows,
                FILE_ROWS: file_rows,
                "file_bytes": dg.MetadataValue.int(file_bytes),
                "duration_seconds": round(time.monotonic() - started, 3),
                "already_loaded": result.already_loaded,
                "preview": sample,
            },
        )
    )
    if not result.already_loaded:
        # log_event handles check evaluations too; its annotation (UserEvent) omits them.
        evaluation = rows_match_file(key, source, file_rows, result.rows)
        context.log_event(evaluation)  # pyright: ignore[reportArgumentType]


@dg.op(name="gcs_file_paths", out=dg.Out(list[str]))
def gcs_file_paths(config: LoadFileConfig) -> list[str]:
    return [f"gs://{config.bucket}/{config.key}"]


@cache
def gcs_to_bq_load_job(environment: Environment) -> dg.JobDefinition:
    """The job for ``environment``; one object per environment, shared by every feed.

    Its steps run in the run worker (in-process executor): a step subprocess outlives a run
    worker killed under it and would append the file after its run was failed and retried.
    """
    if environment.is_local:

        @dg.job(
            name=JOB_NAME,
            tags={"estore/load": "duckdb", **LOAD_TIME_LIMIT},
            executor_def=dg.in_process_executor,
        )
        def local_job() -> None:
            load_csv_file()

        return local_job

    from dagster_gcp import import_gcs_paths_to_bq

    @dg.job(
        name=JOB_NAME,
        tags={"estore/load": "bigquery", **LOAD_TIME_LIMIT},
        executor_def=dg.in_process_executor,
    )
    def bigquery_job() -> None:
        import_gcs_paths_to_bq(gcs_file_paths())

    return bigquery_job


def load_run_config(environment: Environment, file: LoadFileConfig) -> dict[str, Any]:
    """Run config of ``gcs_to_bq_load_job`` for one file in ``environment``."""
    if environment.is_local:
        return {"ops": {"load_csv_file": {"config": file.model_dump()}}}
    return {
        "ops": {
            "gcs_file_paths": {"config": file.model_dump()},
            "import_gcs_paths_to_bq": {
                "config": {"destination": file.table, "load_job_config": BQ_LOAD_JOB_CONFIG}
            },
        }
    }
