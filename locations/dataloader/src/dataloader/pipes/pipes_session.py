"""Opens the Pipes session for this location's scripts, wherever they run.

On Databricks (``DATABRICKS_RUNTIME_VERSION`` is set) the context and messages go through
DBFS and the bootstrap parameters arrive as command-line arguments; as a local subprocess
Pipes' defaults apply. Imported by sibling scripts: Databricks runs them from a folder.
"""

import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import NoReturn

from dagster_pipes import (
    PipesCliArgsParamsLoader,
    PipesContext,
    PipesDbfsContextLoader,
    PipesDbfsMessageWriter,
    open_dagster_pipes,
)


class ReportedFailure(Exception):
    """A failure the script reports word for word (a bad input): the orchestrator reads it
    from the Pipes ``closed`` message, and the script exits non-zero."""


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


def report_failure(pipes: PipesContext, error: str) -> NoReturn:
    """Hand ``error`` to the orchestrator (see ``pipes_outcome``) and fail the script."""
    pipes.log.error(error)
    raise ReportedFailure(error)


def run_main(main: Callable[[], None]) -> None:
    """Run a script's ``main``: exit 1 on a reported failure (the Databricks task fails
    too, so its own run history is honest), without a second traceback."""
    try:
        main()
    except ReportedFailure:
        sys.exit(1)
