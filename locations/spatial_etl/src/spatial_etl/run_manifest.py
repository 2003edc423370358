"""The manifest a lane run works on: read from the ledger by the run's ``batch_id`` tag.

The lane sensor claims the manifest in the ledger before it requests the run, so the run
config carries nothing but the tags, and a re-execution reads the very same manifest.
"""

from dataclasses import dataclass

import dagster as dg

from spatial_manifest import Manifest, ManifestError, validate_manifest
from spatial_platform import MongoDBResource


@dataclass(frozen=True)
class RunManifest:
    manifest: Manifest
    manifest_key: str
    run_object_id: str  # ObjectId of the ledger's ``runs`` document


def read_run_manifest(
    run: dg.DagsterRun, mongodb: MongoDBResource, landing_bucket: str, run_object_id: str
) -> RunManifest:
    """The validated manifest of ``run``; a ``dg.Failure`` naming what is wrong otherwise."""
    batch_id = run.tags.get("batch_id", "")
    record = mongodb.get_manifest(batch_id)
    if record is None:
        raise dg.Failure(f"batch_id {batch_id!r} has no manifest in the ledger")
    try:
        manifest = validate_manifest(record.document(), record.manifest_key, landing_bucket)
    except ManifestError as exc:
        raise dg.Failure(str(exc)) from None
    partition = run.tags.get("dagster/partition")
    if partition is not None and partition != manifest.dataset_id:
        raise dg.Failure(
            f"run partition {partition!r} is not the manifest's dataset_id "
            f"{manifest.dataset_id!r} (batch_id {batch_id!r}): launch it for that partition"
        )
    return RunManifest(manifest, record.manifest_key, run_object_id)


def start_lane_run(
    run: dg.DagsterRun, mongodb: MongoDBResource, landing_bucket: str
) -> RunManifest:
    """Create the run document (the run now owns its manifest), then read the manifest."""
    from spatial_etl.ops.init_mongo_run import start_run_document

    return read_run_manifest(run, mongodb, landing_bucket, start_run_document(mongodb, run))
