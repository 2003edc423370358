"""The ledger on a MongoDB wire server: statuses, idempotent runs, content-hash dedupe,
versions, concurrent writers."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from local_services import ServerProcess
from spatial_platform import (
    AssetRecord,
    DuplicateBatchError,
    LedgerStatus,
    ManifestRecord,
    MongoDBResource,
)


def _asset(content_hash: str, dataset_id: str = "parcels", run_id: str = "r") -> AssetRecord:
    return AssetRecord(
        s3_key=f"{dataset_id}/{content_hash[-6:]}/data.parquet",
        dataset_id=dataset_id,
        content_hash=content_hash,
        run_id=run_id,
        kind="spatial",
        format="geoparquet",
        crs="EPSG:4326",
        bounds=[0.0, 0.0, 1.0, 1.0],
    )


def test_the_unified_status_values() -> None:
    assert [s.value for s in LedgerStatus] == ["running", "success", "failure", "canceled"]


def test_batch_id_is_unique_in_manifests(mongodb: MongoDBResource) -> None:
    record = ManifestRecord(batch_id="b1", manifest_key="manifests/b1.json", intent="ingest_vector")
    mongodb.insert_manifest(record)
    with pytest.raises(DuplicateBatchError, match="batch_id 'b1' is already in the ledger"):
        mongodb.insert_manifest(record)
    assert mongodb.claim_manifest(record) is False
    assert mongodb.claim_manifest(record.model_copy(update={"batch_id": "b2"})) is True
    stored = mongodb.get_manifest("b1")
    assert stored is not None
    assert (stored.status, stored.intent) == (LedgerStatus.RUNNING, "ingest_vector")
    assert mongodb.get_manifest("missing") is None


def test_manifest_status_updates_are_fenced_by_the_owning_run(mongodb: MongoDBResource) -> None:
    mongodb.insert_manifest(ManifestRecord(batch_id="b1", manifest_key="k"))
    assert mongodb.update_manifest_status("b1", "running", dagster_run_id="run-2")
    # A late update from a superseded run changes nothing.
    assert not mongodb.update_manifest_status(
        "b1", "failure", owner_run_id="run-1", error_message="x"
    )
    assert mongodb.update_manifest_status("b1", LedgerStatus.SUCCESS, owner_run_id="run-2")
    stored = mongodb.get_manifest("b1")
    assert stored is not None
    assert (stored.status, stored.error_message) == (LedgerStatus.SUCCESS, None)
    assert [m.batch_id for m in mongodb.find_manifests("success")] == ["b1"]
    with pytest.raises(ValueError, match="'done' is not a valid LedgerStatus"):
        mongodb.update_manifest_status("b1", "done")


def test_runs_are_created_once_and_finish_once(mongodb: MongoDBResource) -> None:
    first = mongodb.insert_run("dagster-1", "b1", "spatial_asset_job", partition_key="parcels")
    assert mongodb.insert_run("dagster-1", "b1", "spatial_asset_job") == first
    assert mongodb.get_run_object_id("dagster-1") == first
    assert mongodb.update_run_status("dagster-1", "failure", error_message="boom")
    assert not mongodb.update_run_status("dagster-1", "success")
    run = mongodb.get_run("dagster-1")
    assert run is not None
    assert (run.status, run.error_message, run.partition_key) == (
        LedgerStatus.FAILURE,
        "boom",
        "parcels",
    )
    assert run.completed_at is not None
    mongodb.add_asset_to_run("dagster-1", "a1")
    mongodb.add_asset_to_run("dagster-1", "a1")
    assert mongodb.get_run("dagster-1").asset_ids == ["a1"]  # type: ignore[union-attr]


def test_register_asset_versions_per_dataset_and_dedupes_by_content(
    mongodb: MongoDBResource,
) -> None:
    v1 = mongodb.register_asset(_asset("sha256:aaa111"))
    again = mongodb.register_asset(_asset("sha256:aaa111", run_id="other-run"))
    v2 = mongodb.register_asset(_asset("sha256:bbb222"))
    other = mongodb.register_asset(_asset("sha256:aaa111", dataset_id="roads"))
    assert (v1.version, v1.deduplicated) == (1, False)
    assert (again.version, again.deduplicated, again.asset_id) == (1, True, v1.asset_id)
    assert (v2.version, v2.deduplicated) == (2, False)
    assert (other.version, other.deduplicated) == (1, False)
    assert mongodb.get_next_version("parcels") == 3
    assert mongodb.get_next_version("new") == 1
    latest = mongodb.get_latest_asset("parcels")
    assert latest is not None
    assert (latest.version, latest.content_hash) == (2, "sha256:bbb222")
    assert mongodb.get_asset("parcels", 1).content_hash == "sha256:aaa111"  # type: ignore[union-attr]
    assert mongodb.get_asset_by_id(v2.asset_id).version == 2  # type: ignore[union-attr]
    assert mongodb.get_asset_by_id("not-an-object-id") is None
    assert mongodb.asset_exists("sha256:bbb222")
    assert not mongodb.asset_exists("sha256:ccc333")


def test_insert_asset_needs_a_version(mongodb: MongoDBResource) -> None:
    with pytest.raises(ValueError, match="needs a version >= 1"):
        mongodb.insert_asset(_asset("sha256:aaa111"))


def test_the_ledger_server_speaks_the_mongodb_wire_protocol(
    mongodb_server: ServerProcess,
) -> None:
    """Smoke test: the session's server (a dev dependency) started and answers pymongo."""
    from pymongo import MongoClient

    assert mongodb_server.url.startswith("mongodb://127.0.0.1:")
    with MongoClient(mongodb_server.url, serverSelectionTimeoutMS=5_000) as client:
        assert client.admin.command("ping")["ok"] == 1.0


def test_concurrent_writers_get_distinct_versions(mongodb: MongoDBResource) -> None:
    mongodb.insert_manifest(ManifestRecord(batch_id="b1", manifest_key="k"))
    with ThreadPoolExecutor(4) as pool:
        versions = list(
            pool.map(lambda i: mongodb.register_asset(_asset(f"sha256:{i:06d}")).version, range(4))
        )
    assert sorted(versions) == [1, 2, 3, 4]
    assert mongodb.get_next_version("parcels") == 5


def test_recorded_manifest_keys_in_one_query(mongodb: MongoDBResource) -> None:
    for n in range(3):
        mongodb.insert_manifest(
            ManifestRecord(batch_id=f"b{n}", manifest_key=f"manifests/{n}.json", lane="spatial")
        )
    keys = ["manifests/0.json", "manifests/2.json", "manifests/new.json"]
    assert mongodb.recorded_manifest_keys(keys) == {
        "manifests/0.json": "spatial",
        "manifests/2.json": "spatial",
    }
    assert mongodb.recorded_manifest_keys([]) == {}
    # An archive failure is noted once: the first note is the one to alert.
    assert mongodb.note_archive_failure("manifests/0.json", "AccessDenied") is True
    assert mongodb.note_archive_failure("manifests/0.json", "AccessDenied") is False
    assert mongodb.claims_without_run("spatial") == ["b0", "b1", "b2"]
