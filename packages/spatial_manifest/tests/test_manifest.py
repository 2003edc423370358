"""The manifest contract: what uploaders write is accepted, and every rejection names the field
and the value at fault."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from spatial_manifest import (
    MAX_MANIFEST_BYTES,
    FileType,
    Manifest,
    ManifestError,
    manifest_json_schema,
    parse_manifest,
    raw_batch_id,
    validate_manifest,
)
from spatial_manifest.parse import nesting_depth


def vector_manifest(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "batch_id": "batch_001",
        "uploader": "analyst@example.org",
        "intent": "ingest_vector",
        "files": [
            {"path": "s3://landing-zone/batch_001/parcels.gpkg", "type": "vector", "format": "GPKG"}
        ],
        "metadata": {
            "project": "ALPHA",
            "description": "Parcels",
            "tags": {"dataset_id": "parcels", "priority": 1, "reviewed": True},
        },
    }
    document.update(overrides)
    return document


def join_manifest(join_config: dict[str, Any]) -> dict[str, Any]:
    return vector_manifest(
        batch_id="batch_join",
        intent="join_datasets",
        files=[],
        metadata={"project": "ALPHA", "join_config": join_config},
    )


def rejection(document: Any, key: str = "manifests/m.json", **kwargs: Any) -> ManifestError:
    raw = document if isinstance(document, bytes | str) else json.dumps(document)
    with pytest.raises(ManifestError) as caught:
        parse_manifest(raw, key, **kwargs)
    return caught.value


def test_the_original_contract_is_accepted_and_normalised() -> None:
    document = vector_manifest()
    document["files"][0]["path"] = "landing-zone/batch_001/parcels.gpkg"
    document["metadata"].update(
        title="Parcels 2024",
        keywords=["parcels"],
        source="survey",
        license="CC-BY-4.0",
        attribution="City",
    )
    manifest = parse_manifest(json.dumps(document), "manifests/batch_001.json")
    entry = manifest.files[0]
    assert entry.path == "s3://landing-zone/batch_001/parcels.gpkg"
    assert (entry.bucket, entry.key, entry.type) == (
        "landing-zone",
        "batch_001/parcels.gpkg",
        FileType.VECTOR,
    )
    assert manifest.dataset_id == "parcels"
    assert manifest.metadata.tags["reviewed"] is True


def test_batch_id_is_immutable() -> None:
    manifest = Manifest.model_validate(vector_manifest())
    with pytest.raises(ValidationError, match="frozen"):
        manifest.batch_id = "other"  # type: ignore[misc]


def test_dataset_id_is_derived_from_the_batch_when_not_tagged() -> None:
    document = vector_manifest()
    document["metadata"]["tags"] = {}
    first = Manifest.model_validate(document).dataset_id
    assert first == Manifest.model_validate(document).dataset_id
    assert first.startswith("dataset_") and len(first) == len("dataset_") + 12
    other = Manifest.model_validate({**document, "batch_id": "batch_002"}).dataset_id
    assert other != first


@pytest.mark.parametrize(
    "spelling",
    [
        {"spatial_asset_id": "parcels", "tabular_asset_id": "census"},
        {"spatial_dataset_id": "parcels", "tabular_dataset_id": "census"},
        {"spatial_asset_id": "parcels", "tabular_dataset_id": "census"},
        {
            "spatial_asset_id": "parcels",
            "spatial_dataset_id": "parcels",
            "tabular_asset_id": "census",
        },
    ],
)
def test_join_config_accepts_both_spellings(spelling: dict[str, str]) -> None:
    manifest = Manifest.model_validate(join_manifest({**spelling, "left_key": "parcel_id"}))
    join = manifest.metadata.join_config
    assert join is not None
    assert (join.spatial_asset_id, join.tabular_asset_id) == ("parcels", "census")
    assert (join.left_key, join.spatial_key, join.how) == ("parcel_id", "parcel_id", "left")
    assert "spatial_dataset_id" not in manifest.model_dump()["metadata"]["join_config"]


def test_join_config_spellings_that_disagree_are_rejected() -> None:
    error = rejection(
        join_manifest(
            {
                "spatial_asset_id": "parcels",
                "spatial_dataset_id": "roads",
                "tabular_asset_id": "census",
                "left_key": "id",
            }
        )
    )
    assert "metadata.join_config" in error.reason
    assert "'parcels'" in error.reason and "'roads'" in error.reason


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("s3://landing-zone/../data-lake/x.gpkg", "'..' path segment"),
        ("s3://landing-zone/batch/./x.gpkg", "'.' path segment"),
        ("s3://landing-zone//etc/passwd", "object key '/etc/passwd' is absolute"),
        ("s3://landing-zone/batch//x.gpkg", "'empty' path segment"),
        ("s3://landing-zone/batch/%2e%2e/x.gpkg", "encoded character"),
        ("s3://landing-zone/batch\\..\\x.gpkg", "backslash"),
        ("s3://landing-zone/batch/x\x00.gpkg", "control character"),
        ("s3://data-lake/batch/x.gpkg", "outside the landing bucket 'landing-zone'"),
        ("/etc/passwd", "does not start with a bucket name"),
        ("s3://landing-zone/", "the object key is empty"),
    ],
)
def test_file_paths_that_leave_the_bucket_prefix_are_rejected(path: str, says: str) -> None:
    document = vector_manifest()
    document["files"][0]["path"] = path
    error = rejection(document)
    assert "files.0.path" in error.reason
    assert says in error.reason
    assert error.batch_id == "batch_001"


def test_the_landing_bucket_comes_from_the_caller() -> None:
    document = vector_manifest()
    document["files"][0]["path"] = "s3://uploads-dev/batch_001/parcels.gpkg"
    manifest = parse_manifest(json.dumps(document), "m.json", landing_bucket="uploads-dev")
    assert manifest.files[0].bucket == "uploads-dev"
    assert "outside the landing bucket 'landing-zone'" in rejection(document).reason


@pytest.mark.parametrize(
    ("document", "says"),
    [
        (b"{not json", "is not valid JSON: Expecting property name"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[1, 2]", "must be a JSON object, got a JSON list"),
        ({"batch_id": "b1"}, "uploader: Field required"),
        (vector_manifest(batch_id="../etc"), "batch_id: String should match pattern"),
        (vector_manifest(intent="Ingest Vector!"), "intent: String should match pattern"),
        (vector_manifest(surprise=1), "surprise: Extra inputs are not permitted (got 1)"),
        (vector_manifest(files=[]), "files: intent 'ingest_vector' needs at least one file"),
        (
            vector_manifest(
                intent="ingest_raster",
                files=[{"path": "s3://landing-zone/b/x.gpkg", "type": "vector", "format": "GPKG"}],
            ),
            "intent 'ingest_raster' takes only 'raster' files",
        ),
        (
            vector_manifest(
                intent="ingest_road_network",
                files=[{"path": "s3://landing-zone/b/x.csv", "type": "tabular", "format": "CSV"}],
            ),
            "cannot take tabular files",
        ),
        (
            vector_manifest(
                files=[
                    {"path": "s3://landing-zone/b/x.gpkg", "type": "vector", "format": "GPKG"},
                    {"path": "landing-zone/b/x.gpkg", "type": "vector", "format": "GPKG"},
                ]
            ),
            "duplicate paths ['s3://landing-zone/b/x.gpkg']",
        ),
        (
            vector_manifest(
                files=[{"path": "s3://landing-zone/b/x.gpkg", "type": "mesh", "format": "GPKG"}]
            ),
            "files.0.type: Input should be 'raster', 'vector' or 'tabular' (got 'mesh')",
        ),
        (
            vector_manifest(metadata={"tags": {"dataset_id": "a b"}}),
            "metadata.tags: dataset_id='a b' must be a string matching",
        ),
        (
            vector_manifest(intent="join_datasets", metadata={}),
            "join_datasets' takes no files",
        ),
        (
            join_manifest({"spatial_asset_id": "parcels", "tabular_asset_id": "census"}),
            "metadata.join_config.left_key: Field required",
        ),
        (
            vector_manifest(batch_id="batch_join", intent="join_datasets", files=[], metadata={}),
            "metadata.join_config: required for intent 'join_datasets'",
        ),
    ],
)
def test_bad_manifests_name_the_field_and_value(document: Any, says: str) -> None:
    error = rejection(document, key="manifests/bad.json")
    assert str(error).startswith("manifest manifests/bad.json: ")
    assert says in error.reason


def test_raw_batch_id_survives_an_invalid_document() -> None:
    assert raw_batch_id({"batch_id": "b-7", "intent": 3}) == "b-7"
    assert raw_batch_id({"batch_id": "../x"}) is None
    assert raw_batch_id(["batch_id"]) is None


def test_json_schema_describes_the_canonical_contract() -> None:
    schema = manifest_json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["required"]) == {"batch_id", "uploader", "intent", "metadata"}
    assert schema["additionalProperties"] is False
    join = schema["$defs"]["JoinConfig"]
    assert {"spatial_asset_id", "tabular_asset_id", "left_key"} <= set(join["required"])
    assert schema["$defs"]["FileType"]["enum"] == ["raster", "vector", "tabular"]


def test_a_utf8_bom_before_the_json_is_accepted() -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(vector_manifest()).encode()
    assert parse_manifest(raw, "manifests/bom.json").batch_id == "batch_001"
    assert parse_manifest(raw.decode("utf-8"), "manifests/bom.json").batch_id == "batch_001"


def test_a_deeply_nested_manifest_is_rejected_with_its_depth() -> None:
    deep = b'{"batch_id": "deep", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    error = rejection(deep)
    assert "nested deeper than 32 levels" in error.reason
    shallow_but_too_deep = vector_manifest()
    shallow_but_too_deep["metadata"]["description"] = json.loads("[" * 40 + "]" * 40)
    error = rejection(shallow_but_too_deep)
    assert "nested deeper than 32 levels" in error.reason
    assert error.batch_id == "batch_001"


def test_a_manifest_listing_too_many_files_is_rejected_before_validation() -> None:
    entry = {"path": "s3://landing-zone/b/x.gpkg", "type": "vector", "format": "GPKG"}
    error = rejection(vector_manifest(files=[entry] * 50_001))
    assert error.reason == (
        "files: 50001 entries, more than the 50000 one manifest may list; "
        "split the batch into several manifests"
    )


def test_an_oversized_manifest_is_rejected_unread() -> None:
    error = rejection(b" " * (MAX_MANIFEST_BYTES + 1))
    assert f"is {MAX_MANIFEST_BYTES + 1} bytes, more than the {MAX_MANIFEST_BYTES}" in error.reason


def test_twenty_thousand_files_validate_in_linear_time() -> None:
    files = [
        {"path": f"s3://landing-zone/big/{i:05d}.gpkg", "type": "vector", "format": "GPKG"}
        for i in range(20_000)
    ]
    assert len(parse_manifest(json.dumps(vector_manifest(files=files)), "m.json").files) == 20_000
    files.append(files[7])
    assert (
        "duplicate paths ['s3://landing-zone/big/00007.gpkg']"
        in rejection(vector_manifest(files=files)).reason
    )


def test_a_sensor_validates_a_long_manifest_by_sample() -> None:
    files = [
        {"path": f"s3://landing-zone/big/{i:05d}.gpkg", "type": "vector", "format": "GPKG"}
        for i in range(1_000)
    ]
    files[500]["type"] = "raster"  # not in the sample of 16: found by the run's full check
    document = vector_manifest(files=files)
    sample = validate_manifest(document, "m.json", files_sample=16)
    assert len(sample.files) == 16
    assert sample.files[0].path.endswith("00000.gpkg") and sample.files[-1].path.endswith(
        "00999.gpkg"
    )
    assert "only 'vector' files" in rejection(document).reason
    document["files"].append(files[3])
    with pytest.raises(ManifestError, match="duplicate paths"):
        validate_manifest(document, "m.json", files_sample=16)


def test_nesting_depth_counts_every_level_and_stops_past_its_limit() -> None:
    assert nesting_depth("x") == 0
    assert nesting_depth({}) == 1
    assert nesting_depth({"a": [1, {"b": [[]]}], "c": {}}) == 5
    assert nesting_depth(json.loads("[" * 32 + "]" * 32)) == 32
    assert nesting_depth(json.loads("[" * 500 + "]" * 500), limit=32) == 33  # walked no further
