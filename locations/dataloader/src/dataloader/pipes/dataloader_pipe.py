"""Loads one table described by the run's Pipes extras, and reports what it loaded.

On Databricks, Spark reads the source over JDBC and writes a Delta table in the catalog
(``spark_load``); locally, ``table_loader`` streams the source with Postgres ``COPY`` into a
local Delta table. Either way the script reports rows, watermark, duration and the source's
row count for the same range (the asset's ``rows_match_source`` check); a bad input is
reported word for word and the script exits non-zero.
"""

import os
import re
import time
from typing import Any

from pipes_session import on_databricks, open_session, report_failure, run_main

from lakebase import SECRET_SCOPE_REMEDY
from platform_config.credentials import credential_paths, credentials_message


def password_variable(kv_scope: str) -> str:
    """Locally, the secret scope ``sales-db`` is the variable ``SALES_DB_PASSWORD``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", kv_scope).strip("_").upper() + "_PASSWORD"


def count_source_locally(params: dict[str, Any], watermark: str | None) -> int:
    """Rows of the source a load covers: all of them (full), or those up to ``watermark``
    past the previous one (incremental)."""
    import psycopg
    from psycopg import sql

    config = params["db_config_value"]
    scope = params.get("db_kv_scope")
    query: sql.Composable = sql.SQL("SELECT count(*) FROM {}.{}").format(
        sql.Identifier(params["source_schema_name"]), sql.Identifier(params["source_table_name"])
    )
    bounds: list[Any] = []
    column = params.get("incremental_column")
    if params["load_strategy"] == "incremental" and column:
        clauses = []
        if params.get("incremental_value") is not None:
            clauses.append(sql.SQL("{} > %s").format(sql.Identifier(column)))
            bounds.append(params["incremental_value"])
        if watermark is not None:
            clauses.append(sql.SQL("{} <= %s").format(sql.Identifier(column)))
            bounds.append(watermark)
        if clauses:
            query = sql.Composed([query, sql.SQL(" WHERE "), sql.SQL(" AND ").join(clauses)])
    with psycopg.connect(
        host=str(config["host"]),
        port=int(config.get("port", 5432)),
        dbname=str(config["database"]),
        user=str(config.get("user", "")) or None,
        password=os.environ.get(password_variable(scope)) if scope else None,
        connect_timeout=10,
        autocommit=True,
    ) as conn:
        row = conn.execute(query, bounds).fetchone()
    return int(row[0]) if row else 0


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
        "source_rows": count_source_locally(params, result.watermark),
        "duration_seconds": round(result.duration_seconds, 3),
        "destination": result.destination_uri,
        "columns": len(result.columns),
    }


def main() -> None:
    with open_session() as pipes:
        params = dict(pipes.extras)
        # The loader is one more place config enters: it never runs with a credential in it.
        if paths := credential_paths(params.get("db_config_value")):
            report_failure(
                pipes, credentials_message("db_config_value", paths, SECRET_SCOPE_REMEDY)
            )
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
        metadata.setdefault("duration_seconds", round(time.monotonic() - started, 3))
        metadata["dagster_run_url"] = params.get("dagster_run_url", "")
        metadata["load_strategy"] = params["load_strategy"]
        pipes.log.info(f"{params['control_key']}: loaded {metadata['rows_loaded']} rows")
        pipes.report_asset_materialization(
            metadata={k: v for k, v in metadata.items() if v is not None}
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run_main(main)
