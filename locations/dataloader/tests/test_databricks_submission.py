"""The Databricks submission (no workspace here): idempotency token, task and arguments."""

from dataloader.resources.databricks_submission import idempotency_token, submit_args, submit_task


def test_the_token_is_stable_per_root_run_and_work_item_and_fits_the_api() -> None:
    token = idempotency_token("root-1", "claim:42")
    assert token == idempotency_token("root-1", "claim:42")  # a retry of the run: same run
    assert token != idempotency_token("root-1", "claim:43")  # another claim: another run
    assert token != idempotency_token("root-2", "claim:42")  # another run: another submission
    assert len(token) <= 64


def test_a_retried_run_submits_with_its_root_runs_token() -> None:
    first = submit_args("run-a", "run-a", "claim:42", 10_800)
    retry = submit_args("run-b", "run-a", "claim:42", 10_800)
    assert first["idempotency_token"] == retry["idempotency_token"]
    assert retry["run_name"] == "dagster:run-b:claim:42"
    assert retry["timeout_seconds"] == 10_800


def test_the_task_runs_the_script_with_the_shared_wheels() -> None:
    wheels = ["/Volumes/ops/wheels/lakebase-0.1.0-py3-none-any.whl"]
    task = submit_task(
        "dataloader_pipe.py",
        scripts_path="/Workspace/Repos/dataloader/pipes/",
        cluster_id="0123-abc",
        timeout_seconds=10_800,
        wheels=wheels,
    )
    assert task["spark_python_task"]["python_file"] == (
        "/Workspace/Repos/dataloader/pipes/dataloader_pipe.py"
    )
    assert task["existing_cluster_id"] == "0123-abc" and task["timeout_seconds"] == 10_800
    assert task["libraries"] == [{"pypi": {"package": "dagster-pipes"}}, {"whl": wheels[0]}]
