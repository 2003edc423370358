"""Step outputs of report runs, one JSON file per asset, report and due time.

Two runs of one report (two due times) may overlap, and a re-execution reads what its
parent wrote: keying outputs by partition alone would let one due time read another's
payload. Here the due time is part of the path, so each (report, due time) has its own.
"""

import json
import os
import re
from pathlib import Path
from typing import Any

import dagster as dg

from reports.runs import run_due_time


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


class ReportRunIOManager(dg.ConfigurableIOManager):
    """JSON files under ``base_dir`` (default ``$DAGSTER_HOME/storage/reports``)."""

    base_dir: str = ""

    def _root(self) -> Path:
        if self.base_dir:
            return Path(self.base_dir)
        return Path(os.environ.get("DAGSTER_HOME", ".dagster")) / "storage" / "reports"

    def _path(self, context: dg.OutputContext | dg.InputContext, asset_key: dg.AssetKey) -> Path:
        step = context.step_context
        due = run_due_time(step.instance, step.dagster_run)
        partition = context.asset_partition_key
        name = f"{_safe(due.isoformat())}.json"
        return self._root().joinpath(*asset_key.path, _safe(partition), name)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        path = self._path(context, context.asset_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(obj, default=str))
        tmp.replace(path)

    def load_input(self, context: dg.InputContext) -> Any:
        path = self._path(context, context.asset_key)
        if not path.exists():
            raise dg.DagsterInvariantViolationError(
                f"no stored output of {context.asset_key.to_user_string()} for this report and "
                f"due time ({path}): materialize the upstream asset in this run first"
            )
        return json.loads(path.read_text())
