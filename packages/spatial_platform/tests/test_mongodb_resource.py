"""The ledger on mongomock: statuses, idempotent runs, content-hash dedupe, versions."""

import multiprocessing
from pathlib import Path

import pytest

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


def _register_in_child(store: str, content_hash: str) -> None:
    MongoDBResource(backend="mongomock", store_path=store).register_asset(_asset(content_hash))


def test_a_file_backed_ledger_is_shared_between_processes(tmp_path: Path) -> None:
    store = str(tmp_path / "mongodb.json")
    mongodb = MongoDBResource(backend="mongomock", store_path=store)
    mongodb.insert_manifest(ManifestRecord(batch_id="b1", manifest_key="k"))
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(target=_register_in_child, args=(store, f"sha256:{i:06d}"))
        for i in range(3)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [c.exitcode for c in children] == [0, 0, 0]
    reopened = MongoDBResource(backend="mongomock", store_path=store)
    assert reopened.get_manifest("b1") is not None
    assert reopened.get_next_version("parcels") == 4
