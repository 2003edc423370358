"""landing_table_git_job: schema files for landed tables, committed, then flagged."""

import subprocess
from pathlib import Path

import dagster as dg
import yaml

from dataloader.jobs.landing_table_git import landing_table_git_job
from lakebase import LakebaseClient
from table_loader import LoadRequest, run_load


def land(
    lakebase: LakebaseClient,
    resources: dict,
    source_dsn: str,
    table: str,
    registration,
    source_config,
) -> int:
    """Register ``table``, load it into the lakehouse for real, record the success."""
    config_id = lakebase.register_table(registration(table, source_dsn), "sql")
    uri = resources["databricks_rest"].table_uri("bronze", "shop", table)
    result = run_load(
        LoadRequest(
            control_key=table,
            db_type="postgres",
            db_config=source_config(source_dsn),
            source_schema="public",
            source_table=table,
            destination_uri=uri,
            load_strategy="full",
        )
    )
    metadata_id = lakebase.insert_initial_metadata(config_id, table, "full")
    lakebase.record_load_success(config_id, metadata_id, result.rows_loaded, None, 0.1)
    return config_id


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def test_writes_commits_and_flags_each_landed_table(
    lakebase: LakebaseClient, resources: dict, source_dsn: str, registration, source_config
) -> None:
    ids = [
        land(lakebase, resources, source_dsn, t, registration, source_config)
        for t in ("customers", "orders")
    ]
    missing = lakebase.register_table(registration("ghost", source_dsn), "sql")
    result = landing_table_git_job.execute_in_process(
        run_config={"ops": {"write_landing_schemas": {"config": {"config_ids": [*ids, missing]}}}},
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    repo = Path(resources["staging_repository"].path)
    document = yaml.safe_load((repo / "models/staging/bronze/shop/orders.yml").read_text())
    [source] = document["sources"]
    assert (source["database"], source["schema"]) == ("bronze", "shop")
    [table] = source["tables"]
    assert table["name"] == "orders" and table["meta"]["control_key"] == "orders"
    assert table["columns"] == [
        {"name": "order_id", "data_type": "int64"},
        {"name": "amount", "data_type": "decimal128(10, 2)"},
        {"name": "updated_at", "data_type": "timestamp[us, tz=UTC]"},
    ]
    assert git(repo, "log", "--format=%s") == "Add staging schemas for 2 landed table(s)\n"
    assert sorted(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == [
        "models/staging/bronze/shop/customers.yml",
        "models/staging/bronze/shop/orders.yml",
    ]
    assert lakebase.get_unprocessed_landing_tables() == []
    flags = {i: lakebase.get_table(i).staging_model_processed for i in (*ids, missing)}  # type: ignore[union-attr]
    # the unloaded table has no Delta table to describe: it stays unprocessed for later
    assert flags == {ids[0]: True, ids[1]: True, missing: False}
