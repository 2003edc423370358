"""Loads one table described by the run's Pipes extras, and reports what it loaded.

On Databricks, Spark reads the source over JDBC and writes a Delta table in the catalog
(``spark_load``); locally, ``table_loader`` streams the source with Postgres ``COPY`` into a
local Delta table. Either way the script reports rows, watermark and duration.
"""

import os
import re
import time
from typing import Any

from pipes_session import on_databricks, open_session, report_failure


def password_variable(kv_scope: str) -> str:
    """Locally, the secret scope ``sales-db`` is the variable ``SALES_DB_PASSWORD``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", kv_scope).strip("_").upper() + "_PASSWORD"


def load_locally(params: dict[str, Any]) -> dict[str, Any]:
    from table_loader import LoadRequest, run_load

    db_config = dict(params.get("db_config_value") or {})
    if params.get("db_kv_scope"):
        db_config.setdefault("password_env", password_variable(params["db_kv_scope"]))
    result = run_load(
        LoadRequest(
            control_key=params["control_key"],
            db_type=params["db_type"],
            db_config=db_config,
            source_schema=params["source_schema_name"],
            source_table=params["source_table_name"],
            destination_uri=params["destination_uri"],
            load_strategy=params["load_strategy"],
            incremental_column=params.get("incremental_column"),
            incremental_value=params.get("incremental_value"),
        )
    )
    return {
        "rows_loaded": result.rows_loaded,
        "watermark": result.watermark,
        "duration_seconds": round(result.duration_seconds, 3),
        "destination": result.destination_uri,
        "columns": len(result.columns),
    }


def main() -> None:
    with open_session() as pipes:
        params = dict(pipes.extras)
        started = time.monotonic()
        if on_databricks():
            from spark_load import SparkLoadError, load_with_spark

            expected: tuple[type[Exception], ...] = (SparkLoadError,)
            loader = load_with_spark
        else:
            from table_loader import LoadError

            expected = (LoadError,)
            loader = load_locally
        try:
            metadata = loader(params)
        except expected as exc:
            report_failure(pipes, str(exc))
            return
        metadata.setdefault("duration_seconds", round(time.monotonic() - started, 3))
        metadata["dagster_run_url"] = params.get("dagster_run_url", "")
        metadata["load_strategy"] = params["load_strategy"]
        pipes.log.info(f"{params['control_key']}: loaded {metadata['rows_loaded']} rows")
        pipes.report_asset_materialization(
            metadata={k: v for k, v in metadata.items() if v is not None}
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
