"""Where the catalogue (the component's defs state) is kept, read and replaced.

The same place Dagster's state-backed component machinery reads when definitions load.
``VERSIONED_STATE_STORAGE`` (the location's choice) keeps versions in the instance's
``defs_state_storage``: by default a folder of ``DAGSTER_HOME``, as Dagster keeps other
instance state, so two instances (``dg dev``, the tests, a deploy) never share a catalogue,
and every code server of one instance does. ``LOCAL_FILESYSTEM`` keeps one file under the
project's defs module (shared by every process of a checkout). A write replaces the whole
catalogue at once, so a reader sees the old or the new one, never half.
"""

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType

from reports.catalogue import Catalogue
from reports.dagster_internals import defs_state_storage, local_state_path

if TYPE_CHECKING:
    from dagster._core.storage.defs_state.base import DefsStateStorage


@dataclass(frozen=True)
class CatalogueState:
    key: str
    management_type: DefsStateManagementType
    project_root: Path
    folder: Path | None = None  # LOCAL_FILESYSTEM elsewhere than the project (tests, benches)

    def local_path(self) -> Path:
        if self.folder is not None:
            return self.folder / self.key / "state"
        return local_state_path(self.key, self.project_root)

    def read(self, instance: dg.DagsterInstance | None = None) -> Catalogue | None:
        """The last written catalogue, or ``None`` when discovery never wrote one."""
        if self.management_type == DefsStateManagementType.VERSIONED_STATE_STORAGE:
            storage = _storage(instance)
            version = storage.get_latest_version(self.key)
            if version is None:
                return None
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "state"
                storage.download_state_to_path(self.key, version, path)
                return parse_catalogue(path)
        path = self.local_path()
        return parse_catalogue(path) if path.exists() else None

    def write(self, catalogue: Catalogue, instance: dg.DagsterInstance | None = None) -> None:
        if self.management_type == DefsStateManagementType.VERSIONED_STATE_STORAGE:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "state"
                write_catalogue(catalogue, path)
                _storage(instance).upload_state_from_path(self.key, str(uuid.uuid4()), path)
            return
        write_catalogue(catalogue, self.local_path())


def parse_catalogue(path: Path) -> Catalogue:
    return Catalogue.model_validate_json(path.read_bytes())


def write_catalogue(catalogue: Catalogue, path: Path) -> None:
    """Write ``catalogue`` to ``path`` atomically (a temp file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(catalogue.model_dump_json())
    tmp.replace(path)


def _storage(instance: dg.DagsterInstance | None) -> "DefsStateStorage":
    storage = defs_state_storage(instance)
    if storage is None:
        raise dg.DagsterInvariantViolationError(
            "the report catalogue is kept in VERSIONED_STATE_STORAGE but this Dagster "
            "instance has no defs_state_storage: configure one in dagster.yaml, or use "
            "defs_state: {management_type: LOCAL_FILESYSTEM} in defs/reports/defs.yaml"
        )
    return storage
