"""The ``pipes_databricks`` resource: where the Pipes scripts of this location run.

``databricks`` submits a one-off task to a cluster with ``PipesDatabricksClient`` (3 hour
timeout); ``subprocess`` runs the very same script on this machine with
``PipesSubprocessClient``. Assets call ``run_script`` and never see the difference.
"""

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import dagster as dg

from dataloader.resources.databricks_submission import submit_args, submit_task
from platform_config.env_secret import ResourceWithSecrets, Secret, read_secret

PIPES_DIR = Path(__file__).resolve().parents[1] / "pipes"
DATABRICKS_RUN_URL = "Databricks Job Run URL"


class PipesComputeResource(ResourceWithSecrets):
    """Runs a script from ``dataloader/pipes/`` through Dagster Pipes."""

    backend: Literal["subprocess", "databricks"] = "subprocess"
    timeout_seconds: int = 10_800
    # databricks
    workspace_url: str | None = None
    token: Secret | None = None
    cluster_id: str | None = None
    scripts_path: str = "/Workspace/Repos/dataloader/pipes"
    # Workspace/volume paths of the wheels the scripts import (lakebase, table_loader,
    # retry_advisor): built from the lock by scripts/build-databricks-wheels.
    wheels: list[str] = []
    # subprocess
    env: dict[str, str] = {}

    def run_script(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        script: str,
        extras: Mapping[str, Any],
        work_id: str,
    ) -> dg.PipesClientCompletedInvocation:
        """Run ``script`` for one work item (``work_id``: a claim, a failure to analyse)."""
        if not (PIPES_DIR / script).is_file():
            raise dg.DagsterInvariantViolationError(f"no pipes script {script} in {PIPES_DIR}")
        if self.backend == "databricks":
            return self._run_on_databricks(context, script, extras, work_id)
        return dg.PipesSubprocessClient(env=self.env or None).run(
            context=context,
            command=[sys.executable, str(PIPES_DIR / script)],
            extras=dict(extras),
        )

    def _run_on_databricks(
        self,
        context: dg.AssetExecutionContext | dg.OpExecutionContext,
        script: str,
        extras: Mapping[str, Any],
        work_id: str,
    ) -> dg.PipesClientCompletedInvocation:
        if not (self.workspace_url and self.cluster_id):
            missing = [
                name
                for name, value in [
                    ("workspace_url (DATABRICKS_WORKSPACE_URL)", self.workspace_url),
                    ("cluster_id (DATABRICKS_CLUSTER_ID)", self.cluster_id),
                ]
                if not value
            ]
            raise dg.DagsterInvariantViolationError(
                f"the databricks compute back-end needs {' and '.join(missing)}"
            )
        # Heavy imports (databricks-sdk, pyspark via dagster-databricks) only here.
        # The `databricks` extra: installed in production images only.
        from dagster_databricks import (  # pyright: ignore[reportMissingImports]
            PipesDatabricksClient,
        )
        from databricks.sdk import WorkspaceClient  # pyright: ignore[reportMissingImports]
        from databricks.sdk.service import jobs  # pyright: ignore[reportMissingImports]

        client = PipesDatabricksClient(
            client=WorkspaceClient(host=self.workspace_url, token=read_secret(self.token))
        )
        task = submit_task(
            script,
            scripts_path=self.scripts_path,
            cluster_id=self.cluster_id,
            timeout_seconds=self.timeout_seconds,
            wheels=self.wheels,
        )
        run = context.run
        arguments = submit_args(
            run.run_id, run.root_run_id or run.run_id, work_id, self.timeout_seconds
        )
        return client.run(
            context=context,
            task=jobs.SubmitTask.from_dict(task),
            extras=dict(extras),
            submit_args=dict(arguments),
        )
