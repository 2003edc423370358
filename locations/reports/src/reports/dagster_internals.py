"""The Dagster internals the location relies on, and nothing else of them.

Dagster 1.13 has no public API for these; each is used here only, and
``tests/test_dagster_internals.py`` pins the behaviour relied on, so an upgrade that changes
one fails that test rather than production:

- a key-value pair in the instance's storage (the shared due-run cursor: schedules have no
  cursor of their own, and the cursor must outlive a change of approach);
- the partitions of the runs carrying some tag values (the run-key lookup of a tick:
  reading whole runs made the steady 10,000-report tick about twice as slow);
- a resolved job under another name (one job per report without resolving each again);
- the defs-state storage of an instance, and the file of ``LOCAL_FILESYSTEM`` state.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.storage.defs_state.base import DefsStateStorage


def read_instance_value(instance: dg.DagsterInstance, key: str) -> str | None:
    """The value stored under ``key`` in the instance (its run storage's key-value table)."""
    return instance.run_storage.get_cursor_values({key}).get(key)


def write_instance_value(instance: dg.DagsterInstance, key: str, value: str) -> None:
    instance.run_storage.set_cursor_values({key: value})


def partitions_of_runs_tagged(
    instance: dg.DagsterInstance, tag: str, values: Sequence[str]
) -> list[str]:
    """The partition of every run whose ``tag`` is one of ``values`` (runs read no further)."""
    runs = instance.get_run_partition_data(dg.RunsFilter(tags={tag: list(values)}))
    return [run.partition for run in runs]


def renamed_job(
    job: dg.JobDefinition, name: str, description: str, tags: dict[str, str]
) -> dg.JobDefinition:
    """``job`` under another name, description and tags, sharing its resolved graph.

    The public ``with_hooks`` and ``with_top_level_resources`` keep the name; ``_copy`` is
    what they call underneath. Resolving ``define_asset_job`` per report instead costs about
    30x at 1,000 reports.
    """
    return job._copy(name=name, description=description, tags=tags)


def defs_state_storage(instance: dg.DagsterInstance | None) -> "DefsStateStorage | None":
    """The instance's defs-state storage (by default a folder under its ``DAGSTER_HOME``), or
    the one of the code server loading definitions when no instance is at hand."""
    from dagster._core.storage.defs_state.base import DefsStateStorage

    return (instance.defs_state_storage if instance else None) or DefsStateStorage.get()


def local_state_path(key: str, project_root: Path) -> Path:
    """Where ``LOCAL_FILESYSTEM`` state of ``key`` lives (under the project's defs module)."""
    from dagster.components.utils.project_paths import get_local_state_path

    return get_local_state_path(key, project_root)
