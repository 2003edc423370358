"""Opens the Pipes session for this location's scripts, wherever they run.

On Databricks (``DATABRICKS_RUNTIME_VERSION`` is set) the context and messages go through
DBFS and the bootstrap parameters arrive as command-line arguments; as a local subprocess
Pipes' defaults apply. Imported by sibling scripts: Databricks runs them from a folder.
"""

import os
from contextlib import AbstractContextManager

from dagster_pipes import (
    PipesCliArgsParamsLoader,
    PipesContext,
    PipesDbfsContextLoader,
    PipesDbfsMessageWriter,
    open_dagster_pipes,
)


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def open_session() -> AbstractContextManager[PipesContext]:
    if on_databricks():
        return open_dagster_pipes(
            context_loader=PipesDbfsContextLoader(),
            message_writer=PipesDbfsMessageWriter(),
            params_loader=PipesCliArgsParamsLoader(),
        )
    return open_dagster_pipes()


def report_failure(pipes: PipesContext, error: str) -> None:
    """Hand a bad-input error to the orchestrator word for word (see pipes_outcome)."""
    pipes.log.error(error)
    pipes.report_custom_message({"outcome": "failed", "error": error})
