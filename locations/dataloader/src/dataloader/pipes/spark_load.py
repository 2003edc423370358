"""The Databricks side of a table load: Spark JDBC read, Delta write into the catalog.

Credentials come from the Databricks secret scope named by ``db_kv_scope`` (keys ``user``
and ``password``), never from the run's parameters. The watermark follows
``lakebase.watermark``: it starts from the one the claim found in ``table_control`` and
advances to the maximum of the rows written, observed while Spark writes them; the target is
read back only when no watermark was ever recorded.
"""

from typing import Any

from lakebase.watermark import watermark_after_load, watermark_before_load

JDBC = {
    "postgres": ("postgresql", 5432, '"'),
    "postgresql": ("postgresql", 5432, '"'),
    "sqlserver": ("sqlserver", 1433, '"'),
    "mysql": ("mysql", 3306, "`"),
    "oracle": ("oracle:thin:@", 1521, '"'),
}


class SparkLoadError(Exception):
    """A bad input for a Spark load: the message names it."""


def _quote(name: str, quote: str) -> str:
    return quote + name.replace(quote, quote * 2) + quote


def _jdbc_url(db_type: str, config: dict[str, Any]) -> str:
    scheme, default_port, _ = JDBC[db_type]
    host, port, database = config["host"], config.get("port", default_port), config["database"]
    if db_type == "sqlserver":
        return f"jdbc:sqlserver://{host}:{port};databaseName={database};encrypt=true"
    if db_type == "oracle":
        return f"jdbc:oracle:thin:@//{host}:{port}/{database}"
    return f"jdbc:{scheme}://{host}:{port}/{database}"


def load_with_spark(params: dict[str, Any]) -> dict[str, Any]:
    # Databricks runtime only, where pyspark is installed.
    from pyspark.dbutils import DBUtils  # pyright: ignore[reportMissingImports]
    from pyspark.sql import (  # pyright: ignore[reportMissingImports]
        Observation,
        SparkSession,
        functions,
    )

    db_type = params["db_type"]
    if db_type not in JDBC:
        raise SparkLoadError(
            f"db_type {db_type!r} is not supported: use one of {', '.join(sorted(JDBC))}"
        )
    config = params.get("db_config_value") or {}
    missing = [key for key in ("host", "database") if not config.get(key)]
    if missing:
        raise SparkLoadError(f"db_config_value is missing {', '.join(map(repr, missing))}")
    spark = SparkSession.builder.getOrCreate()
    secrets = DBUtils(spark).secrets
    scope = params["db_kv_scope"]
    quote = JDBC[db_type][2]
    source = f"{_quote(params['source_schema_name'], quote)}.{_quote(params['source_table_name'], quote)}"
    query = f"SELECT * FROM {source}"  # noqa: S608 (identifiers quoted above)
    target = ".".join(
        f"`{params[k].replace('`', '``')}`"
        for k in ("destination_catalog", "destination_schema_name", "destination_table_name")
    )
    column = params.get("incremental_column")
    incremental = params["load_strategy"] == "incremental"
    watermark_before = None
    if incremental and column:
        watermark_before = watermark_before_load(
            params["control_key"],
            column,
            params.get("incremental_value"),
            (lambda: spark.table(target).agg(functions.max(column)).collect()[0][0])
            if spark.catalog.tableExists(target)
            else None,
        )
        if watermark_before is not None:
            literal = "'" + watermark_before.replace("'", "''") + "'"
            query += f" WHERE {_quote(column, quote)} > {literal}"
    frame = (
        spark.read.format("jdbc")
        .option("url", _jdbc_url(db_type, config))
        .option("query", query)
        .option("user", secrets.get(scope=scope, key="user"))
        .option("password", secrets.get(scope=scope, key="password"))
        .option("fetchsize", 10_000)
        .load()
    )
    # The maximum of the rows written, computed by the write itself: no second pass.
    written = Observation("dataloader_written")
    observed = frame.observe(written, functions.max(column).alias("maximum")) if column else frame
    # The commit names the claim it was made for: Delta's history links back to Lakebase.
    observed.write.format("delta").mode("append" if incremental else "overwrite").option(
        "overwriteSchema", str(not incremental).lower()
    ).option("userMetadata", f"dataloader claim {params.get('metadata_id')}").saveAsTable(target)
    from delta.tables import DeltaTable  # pyright: ignore[reportMissingImports]

    metrics = DeltaTable.forName(spark, target).history(1).collect()[0]["operationMetrics"]
    rows = int(metrics.get("numOutputRows", 0))
    watermark = watermark_after_load(watermark_before, written.get["maximum"]) if column else None
    # The source's rows for the same query, read again: the rows_match_source check.
    source_rows = frame.count()
    return {
        "rows_loaded": rows,
        "watermark": watermark,
        "source_rows": source_rows,
        "destination": target,
    }
