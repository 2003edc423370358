"""What a Pipes script of this location reported: its metadata, or the error it hit.

A script that meets a bad input (an unknown ``db_type``, a missing table) raises
``ReportedFailure`` inside its Pipes session and exits non-zero; Pipes carries the
exception in its ``closed`` message, which Dagster records as an engine event of the run.
``reported_failure`` reads that message back word for word, on every compute back-end.
"""

from dataclasses import dataclass
from typing import Any

import dagster as dg

from dataloader.resources.compute import DATABRICKS_RUN_URL

REPORTED_FAILURE = "ReportedFailure"


@dataclass(frozen=True)
class PipesOutcome:
    metadata: dict[str, Any]
    databricks_run_url: str | None = None


def read_outcome(invocation: dg.PipesClientCompletedInvocation) -> PipesOutcome:
    run_url_value = invocation.metadata.get(DATABRICKS_RUN_URL)
    run_url = str(run_url_value.value) if run_url_value is not None else None
    result = invocation.get_materialize_result()
    metadata = {
        key: value.value if isinstance(value, dg.MetadataValue) else value
        for key, value in (result.metadata or {}).items()
        if key != DATABRICKS_RUN_URL
    }
    return PipesOutcome(metadata, run_url)


def reported_failure(context: dg.AssetExecutionContext) -> str | None:
    """The last failure a script of this run reported, or ``None`` (it crashed instead)."""
    entries = context.instance.all_logs(
        context.run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT
    )
    for entry in reversed(entries):
        event = entry.dagster_event
        data = event.engine_event_data if event else None
        error = data.error if data else None
        if error is not None and error.cls_name == REPORTED_FAILURE:
            # "pipes_session.ReportedFailure: <error>": the error, word for word.
            return error.message.strip().split(f"{REPORTED_FAILURE}: ", 1)[-1]
    return None
