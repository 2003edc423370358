"""landing_table_git_job: schema files for landed tables, committed, then flagged."""

import subprocess
from pathlib import Path

import dagster as dg
import yaml

from dataloader.jobs.landing_table_git import StagingRepositoryResource, landing_table_git_job
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


def _bare_remote(tmp_path: Path) -> tuple[Path, Path]:
    """A bare 'origin' with one commit on main, and a colleague's clone of it."""
    origin = tmp_path / "origin.git"
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch", "main", str(origin)], check=True
    )
    colleague = tmp_path / "colleague"
    subprocess.run(["git", "clone", "--quiet", str(origin), str(colleague)], check=True)
    _commit(colleague, "README.md", "models\n", "Start")
    git(colleague, "push", "--quiet", "origin", "HEAD:main")
    return origin, colleague


def _commit(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "-c", "user.name=c", "-c", "user.email=c@x", "commit", "--quiet", "-m", message)


def test_with_a_remote_it_rebases_pushes_and_only_then_flags(
    lakebase: LakebaseClient,
    resources: dict,
    source_dsn: str,
    registration,
    source_config,
    tmp_path: Path,
) -> None:
    origin, colleague = _bare_remote(tmp_path)
    repository = StagingRepositoryResource(
        path=str(tmp_path / "checkout"), remote_url=str(origin), push_attempts=1
    )
    resources = {**resources, "staging_repository": repository}
    config_id = land(lakebase, resources, source_dsn, "customers", registration, source_config)
    run_config = {"ops": {"write_landing_schemas": {"config": {"config_ids": [config_id]}}}}
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'push refused: branch protected' >&2\nexit 1\n")
    hook.chmod(0o755)

    refused = landing_table_git_job.execute_in_process(
        run_config=run_config,
        resources=resources,
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert not refused.success
    assert lakebase.get_table(config_id).staging_model_processed is False  # type: ignore[union-attr]
    assert git(origin, "log", "--format=%s", "main") == "Start\n"

    # Meanwhile a colleague pushed; the remote accepts pushes again.
    hook.unlink()
    _commit(colleague, "other.yml", "x: 1\n", "Colleague's model")
    git(colleague, "push", "--quiet", "origin", "HEAD:main")
    pushed = landing_table_git_job.execute_in_process(
        run_config=run_config, resources=resources, instance=dg.DagsterInstance.ephemeral()
    )
    assert pushed.success
    assert git(origin, "log", "--format=%s", "main").splitlines() == [
        "Add staging schemas for 1 landed table(s)",
        "Colleague's model",
        "Start",
    ]
    assert "models/staging/bronze/shop/customers.yml" in git(
        origin, "ls-tree", "-r", "--name-only", "main"
    )
    assert lakebase.get_table(config_id).staging_model_processed is True  # type: ignore[union-attr]
