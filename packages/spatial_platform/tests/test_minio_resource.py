"""MinIOResource through the minio SDK against moto's S3 server over HTTP."""

import json
from pathlib import Path

import pytest

from spatial_platform import (
    LakeWriteRefused,
    ManifestUnreadable,
    MinIOResource,
    UnsafeObjectPath,
)


def _put_json(minio: MinIOResource, key: str, document: object) -> None:
    minio.put_object(minio.landing_bucket, key, json.dumps(document).encode())


def test_list_manifests_lists_json_under_manifests_in_key_order(minio: MinIOResource) -> None:
    for key in ["manifests/b.json", "manifests/a.json", "manifests/notes.txt", "data/c.json"]:
        minio.put_object(minio.landing_bucket, key, b"{}")
    assert minio.list_manifests() == ["manifests/a.json", "manifests/b.json"]
    assert minio.list_manifests(start_after="manifests/a.json") == ["manifests/b.json"]
    assert minio.list_manifests(limit=1) == ["manifests/a.json"]


def test_get_manifest_parses_json_and_names_what_is_wrong(minio: MinIOResource) -> None:
    _put_json(minio, "manifests/ok.json", {"batch_id": "b1"})
    minio.put_object(minio.landing_bucket, "manifests/broken.json", b'{"batch_id": ')
    minio.put_object(minio.landing_bucket, "manifests/list.json", b"[1, 2]")
    assert minio.get_manifest("manifests/ok.json") == {"batch_id": "b1"}
    with pytest.raises(
        ManifestUnreadable, match=r"manifests/broken.json: is not valid JSON \(line 1"
    ):
        minio.get_manifest("manifests/broken.json")
    with pytest.raises(ManifestUnreadable, match="must hold a JSON object, not list"):
        minio.get_manifest("manifests/list.json")
    with pytest.raises(ManifestUnreadable, match="NoSuchKey"):
        minio.get_manifest("manifests/missing.json")


def test_move_to_archive_moves_under_archive_and_is_idempotent(minio: MinIOResource) -> None:
    _put_json(minio, "manifests/batch_001.json", {"batch_id": "batch_001"})
    assert minio.move_to_archive("manifests/batch_001.json") == "archive/manifests/batch_001.json"
    assert minio.list_manifests() == []
    assert json.loads(
        minio.get_object(minio.landing_bucket, "archive/manifests/batch_001.json")
    ) == {"batch_id": "batch_001"}
    assert minio.move_to_archive("manifests/batch_001.json") == "archive/manifests/batch_001.json"


def test_the_lake_is_written_only_by_upload_to_lake(minio: MinIOResource, tmp_path: Path) -> None:
    with pytest.raises(LakeWriteRefused, match="upload_to_lake"):
        minio.put_object(minio.lake_bucket, "ds/data.parquet", b"x")
    produced = tmp_path / "data.parquet"
    produced.write_bytes(b"first")
    uri = minio.upload_to_lake(produced, "ds/abc/data.parquet")
    assert uri == f"s3://{minio.lake_bucket}/ds/abc/data.parquet"
    # Content-addressed keys: a second upload to the same key leaves the object as it was.
    produced.write_bytes(b"second")
    minio.upload_to_lake(produced, "ds/abc/data.parquet")
    assert minio.get_object(minio.lake_bucket, "ds/abc/data.parquet") == b"first"
    minio.download_from_lake("ds/abc/data.parquet", tmp_path / "back.parquet")
    assert (tmp_path / "back.parquet").read_bytes() == b"first"


def test_download_from_landing_and_presigned_url(minio: MinIOResource, tmp_path: Path) -> None:
    minio.put_object(minio.landing_bucket, "batch_1/roads.csv", b"a,b\n1,2\n")
    minio.download_from_landing("batch_1/roads.csv", tmp_path / "roads.csv")
    assert (tmp_path / "roads.csv").read_text() == "a,b\n1,2\n"
    url = minio.get_presigned_url(minio.landing_bucket, "batch_1/roads.csv")
    assert f"/{minio.landing_bucket}/batch_1/roads.csv?" in url
    assert minio.object_exists(minio.landing_bucket, "batch_1/roads.csv")
    assert not minio.object_exists(minio.landing_bucket, "batch_1/missing.csv")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("s3://other-bucket/x.csv", "must be in the"),
        ("../x.csv", "not a plain object key"),
        ("batch/../../x.csv", "not a plain object key"),
        ("/etc/passwd", "not a plain object key"),
        ("batch//x.csv", "not a plain object key"),
        ("manifests/x.json", "cannot live under manifests/ or archive/"),
    ],
)
def test_landing_key_refuses_paths_that_leave_the_landing_zone(
    minio: MinIOResource, path: str, reason: str
) -> None:
    with pytest.raises(UnsafeObjectPath, match=reason):
        minio.landing_key(path)


def test_landing_key_accepts_landing_paths(minio: MinIOResource) -> None:
    assert minio.landing_key(f"s3://{minio.landing_bucket}/b1/roads.gpkg") == "b1/roads.gpkg"
    assert minio.landing_key("b1/roads.gpkg") == "b1/roads.gpkg"


def test_missing_objects_names_exactly_the_absent_ones(minio: MinIOResource) -> None:
    bucket = minio.landing_bucket
    for i in range(0, 12, 2):
        minio.put_object(bucket, f"batch_m/part_{i}.csv", b"x")
    wanted = [(bucket, f"batch_m/part_{i}.csv") for i in range(12)]
    assert minio.missing_objects(wanted) == [wanted[i] for i in range(1, 12, 2)]
    assert minio.missing_objects(wanted[:1]) == []
    assert minio.missing_objects([]) == []
