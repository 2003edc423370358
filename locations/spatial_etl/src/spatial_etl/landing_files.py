"""Bringing a manifest's files from the landing zone to a run's scratch folder."""

import posixpath
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from spatial_manifest import FileEntry
from spatial_platform import MinIOResource, UnsafeObjectPath

SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix")


@dataclass(frozen=True)
class LocalFile:
    entry: FileEntry
    path: Path


def download_inputs(minio: MinIOResource, files: list[FileEntry], folder: Path) -> list[LocalFile]:
    """Download each file (and a shapefile's sidecars) under ``folder``, keeping its name.

    A path outside the landing zone or a missing object fails the run with the path named;
    nothing is read from anywhere else.
    """
    local: list[LocalFile] = []
    for index, entry in enumerate(files):
        try:
            key = minio.landing_key(entry.path)
        except UnsafeObjectPath as exc:
            raise dg.Failure(str(exc)) from None
        target_dir = folder / str(index)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / posixpath.basename(key)
        if not minio.object_exists(minio.landing_bucket, key):
            raise dg.Failure(
                f"{entry.path}: is not in the landing zone; upload it before the manifest"
            )
        minio.download_from_landing(key, target)
        if entry.format.upper() in ("SHP", "ESRI SHAPEFILE") or key.lower().endswith(".shp"):
            stem = key.rsplit(".", 1)[0]
            for sidecar in SHAPEFILE_SIDECARS:
                for candidate in (stem + sidecar, stem + sidecar.upper()):
                    if minio.object_exists(minio.landing_bucket, candidate):
                        minio.download_from_landing(
                            candidate, target_dir / posixpath.basename(candidate)
                        )
        local.append(LocalFile(entry, target))
    return local


def single_input(files: list[LocalFile], what: str) -> LocalFile:
    """The one file a lane takes; several fail with the paths named."""
    if len(files) != 1:
        paths = [f.entry.path for f in files]
        raise dg.Failure(
            f"this lane takes one {what} file per manifest, got {len(files)}: {paths}; "
            "send each dataset in its own manifest"
        )
    return files[0]
