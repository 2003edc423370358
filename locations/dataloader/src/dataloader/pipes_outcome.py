"""What a Pipes script of this location reported: its metadata, or the error it hit.

A script that meets a bad input (an unknown ``db_type``, a missing table) reports
``{"outcome": "failed", "error": ...}`` as a custom message and exits cleanly, so the
message reaches Lakebase word for word; a crash still fails the Pipes call itself.
"""

from dataclasses import dataclass
from typing import Any

import dagster as dg

from dataloader.resources.compute import DATABRICKS_RUN_URL


@dataclass(frozen=True)
class PipesOutcome:
    error: str | None
    metadata: dict[str, Any]
    databricks_run_url: str | None = None


def read_outcome(invocation: dg.PipesClientCompletedInvocation) -> PipesOutcome:
    run_url_value = invocation.metadata.get(DATABRICKS_RUN_URL)
    run_url = str(run_url_value.value) if run_url_value is not None else None
    errors = [
        str(message.get("error"))
        for message in invocation.get_custom_messages()
        if isinstance(message, dict) and message.get("outcome") == "failed"
    ]
    if errors:
        return PipesOutcome(errors[-1], {}, run_url)
    result = invocation.get_materialize_result()
    metadata = {
        key: value.value if isinstance(value, dg.MetadataValue) else value
        for key, value in (result.metadata or {}).items()
        if key != DATABRICKS_RUN_URL
    }
    return PipesOutcome(None, metadata, run_url)
