"""The one-off Databricks run a Pipes script becomes: its task, and how it is submitted.

Submissions are idempotent: the token comes from the Dagster run's *root* id (shared by
its retries and re-executions) and the work item (a claim, a failure to analyse), so a
retried run gets the Databricks run already submitted for it instead of starting a second
one. Pure functions, so they are tested without a workspace.
"""

import hashlib
from typing import Any, TypedDict


class SubmitArgs(TypedDict):
    """Keyword arguments of ``WorkspaceClient().jobs.submit`` besides ``tasks``."""

    run_name: str
    timeout_seconds: int
    idempotency_token: str


def idempotency_token(root_run_id: str, work_id: str) -> str:
    """At most 64 characters (the Jobs API's limit), the same for the same run and item."""
    return hashlib.sha256(f"dataloader:{root_run_id}:{work_id}".encode()).hexdigest()


def submit_task(
    script: str,
    *,
    scripts_path: str,
    cluster_id: str,
    timeout_seconds: int,
    wheels: list[str],
) -> dict[str, Any]:
    """The ``SubmitTask`` (as the Jobs API's JSON) running ``script`` with the shared wheels."""
    return {
        "task_key": "dataloader_task",
        "spark_python_task": {
            "python_file": f"{scripts_path.rstrip('/')}/{script}",
            "source": "WORKSPACE",
        },
        "existing_cluster_id": cluster_id,
        "timeout_seconds": timeout_seconds,
        "libraries": [
            {"pypi": {"package": "dagster-pipes"}},
            *({"whl": wheel} for wheel in wheels),
        ],
    }


def submit_args(run_id: str, root_run_id: str, work_id: str, timeout_seconds: int) -> SubmitArgs:
    """The run name carries the Dagster run id: the link from Databricks back to Dagster."""
    return SubmitArgs(
        run_name=f"dagster:{run_id}:{work_id}",
        timeout_seconds=timeout_seconds,
        idempotency_token=idempotency_token(root_run_id, work_id),
    )
