"""Each lane asset end to end with dg.materialize: landing files in moto's S3 server, the
ledger on a MongoDB wire server, PostGIS in a throwaway cluster, GDAL through the wheels."""

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dagster as dg
import pyarrow.parquet as pq
import pytest
import rasterio
import shapely

from spatial_etl.assets import joined_spatial_asset, raw_spatial_asset, raw_tabular_asset
from spatial_etl.jobs import ingest_job
from spatial_etl.partitions import DATASET_PARTITIONS_NAME
from spatial_platform import (
    GDALResource,
    LedgerStatus,
    ManifestRecord,
    MinIOResource,
    MongoDBResource,
    PostGISResource,
    RunIdSchemaMapping,
    SpatialFileError,
)
from spatial_platform.geoparquet import read_geo_metadata
from spatial_platform.samples import write_sample_csv, write_sample_raster, write_sample_vector


@pytest.fixture
def postgis(postgis_dsn: str) -> PostGISResource:
    url = urlparse(postgis_dsn)
    return PostGISResource(
        host=url.hostname or "127.0.0.1", port=url.port or 5432, database=url.path.lstrip("/")
    )


class Lanes:
    """Lands files and manifests as an uploader and a lane sensor would, then materializes."""

    def __init__(
        self,
        instance: dg.DagsterInstance,
        resources: dict[str, Any],
        tmp_path: Path,
    ) -> None:
        self.instance = instance
        self.resources = resources
        self.minio: MinIOResource = resources["minio"]
        self.mongodb: MongoDBResource = resources["mongodb"]
        self.tmp_path = tmp_path

    def land(self, local: Path, key: str) -> str:
        self.minio.put_object(self.minio.landing_bucket, key, local.read_bytes())
        return f"s3://{self.minio.landing_bucket}/{key}"

    def claim(self, intent: str, dataset_id: str, files: list[dict[str, str]], **meta: Any) -> str:
        """The lane sensor's part: the manifest claimed in the ledger; returns the batch_id."""
        batch_id = f"batch_{uuid.uuid4().hex[:8]}"
        document = {
            "batch_id": batch_id,
            "uploader": "tester",
            "intent": intent,
            "files": files,
            "metadata": {"project": "TEST", "tags": {"dataset_id": dataset_id}, **meta},
        }
        self.mongodb.insert_manifest(
            ManifestRecord(
                batch_id=batch_id,
                manifest_key=f"manifests/{batch_id}.json",
                intent=intent,
                uploader="tester",
                manifest=document,
            )
        )
        return batch_id

    def materialize(
        self, asset: dg.AssetsDefinition, batch_id: str, dataset_id: str, *, ok: bool = True
    ) -> dg.ExecuteInProcessResult:
        self.instance.add_dynamic_partitions(DATASET_PARTITIONS_NAME, [dataset_id])
        return dg.materialize(
            [asset],
            partition_key=dataset_id,
            resources=self.resources,
            instance=self.instance,
            tags={"batch_id": batch_id, "intent": "test"},
            raise_on_error=ok,
        )


@pytest.fixture
def lanes(
    instance: dg.DagsterInstance,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    tmp_path: Path,
) -> Lanes:
    resources = {"minio": minio, "mongodb": mongodb, "gdal": GDALResource()}
    return Lanes(instance, resources, tmp_path)


@pytest.fixture
def join_lanes(lanes: Lanes, postgis: PostGISResource) -> Lanes:
    """The lanes with PostGIS, for the join (its database costs a few seconds to create)."""
    lanes.resources["postgis"] = postgis
    return lanes


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _vector(lanes: Lanes, dataset_id: str, features: int = 30) -> str:
    path = write_sample_vector(lanes.tmp_path / f"{dataset_id}.gpkg", features, invalid_every=10)
    file = {
        "path": lanes.land(path, f"{dataset_id}/parcels.gpkg"),
        "type": "vector",
        "format": "GPKG",
    }
    batch_id = lanes.claim("ingest_vector", dataset_id, [file])
    lanes.materialize(raw_spatial_asset, batch_id, dataset_id)
    return batch_id


def _tabular(lanes: Lanes, dataset_id: str, rows: int = 20) -> str:
    path = write_sample_csv(lanes.tmp_path / f"{dataset_id}.csv", rows)
    file = {"path": lanes.land(path, f"{dataset_id}/stats.csv"), "type": "tabular", "format": "CSV"}
    batch_id = lanes.claim("ingest_tabular", dataset_id, [file])
    lanes.materialize(raw_tabular_asset, batch_id, dataset_id)
    return batch_id


def test_vector_ingest_repairs_reprojects_and_versions(lanes: Lanes) -> None:
    path = write_sample_vector(lanes.tmp_path / "parcels.gpkg", 30, invalid_every=10)
    file = {"path": lanes.land(path, "b1/parcels.gpkg"), "type": "vector", "format": "GPKG"}
    batch_id = lanes.claim("ingest_vector", "parcels", [file], description="Parcels")
    result = lanes.materialize(raw_spatial_asset, batch_id, "parcels")

    meta = _metadata(result)
    assert (meta["crs"], meta["source_crs"], meta["feature_count"]) == (
        "EPSG:4326",
        "EPSG:3857",
        30,
    )
    checks = {check.check_name: check.passed for check in result.get_asset_check_evaluations()}
    assert checks == {
        "valid_geometries": True,
        "crs_is_target": True,
        "features_match_source": True,
    }
    assert (meta["repaired_geometries"], meta["version"], meta["deduplicated"]) == (3, 1, False)
    assert meta["content_hash"].startswith("sha256:")
    minx, miny, maxx, maxy = meta["bounds"]
    assert 144.9 < minx < maxx < 145.1 and -37.9 < miny < maxy < -37.7

    lake_key = meta["s3_uri"].removeprefix(f"s3://{lanes.minio.lake_bucket}/")
    assert lake_key.startswith("spatial/parcels/") and lake_key.endswith("/data.parquet")
    local = lanes.minio.download_from_lake(lake_key, lanes.tmp_path / "back.parquet")
    geoms = shapely.from_wkb(pq.read_table(local).column("geometry").to_pylist())
    assert shapely.is_valid(geoms).all() and len(geoms) == 30
    assert read_geo_metadata(local)["columns"]["geometry"]["bbox"] == pytest.approx(meta["bounds"])

    run = lanes.mongodb.get_run(result.run_id)
    asset = lanes.mongodb.get_latest_asset("parcels")
    assert run is not None and asset is not None
    assert (run.status, run.batch_id, run.asset_ids) == (
        LedgerStatus.RUNNING,
        batch_id,
        [meta["ledger_asset_id"]],
    )
    assert (asset.kind, asset.format, asset.version, asset.feature_count) == (
        "spatial",
        "geoparquet",
        1,
        30,
    )
    assert asset.run_id == lanes.mongodb.get_run_object_id(result.run_id)
    assert asset.metadata["description"] == "Parcels"
    manifest = lanes.mongodb.get_manifest(batch_id)
    assert manifest is not None and manifest.dagster_run_id == result.run_id

    # The same content again: the ledger keeps version 1; new content makes version 2.
    again = lanes.claim("ingest_vector", "parcels", [file])
    assert _metadata(lanes.materialize(raw_spatial_asset, again, "parcels"))["deduplicated"] is True
    changed = write_sample_vector(lanes.tmp_path / "parcels2.gpkg", 31, invalid_every=10)
    file2 = {"path": lanes.land(changed, "b2/parcels.gpkg"), "type": "vector", "format": "GPKG"}
    third = lanes.claim("ingest_vector", "parcels", [file2])
    assert _metadata(lanes.materialize(raw_spatial_asset, third, "parcels"))["version"] == 2


def test_raster_ingest_writes_a_cog(lanes: Lanes) -> None:
    path = write_sample_raster(lanes.tmp_path / "dem.tif")
    file = {"path": lanes.land(path, "b1/dem.tif"), "type": "raster", "format": "GTiff"}
    batch_id = lanes.claim("ingest_raster", "dem", [file])
    meta = _metadata(lanes.materialize(raw_spatial_asset, batch_id, "dem"))
    assert (meta["crs"], meta["format"], meta["band_count"], meta["version"]) == (
        "EPSG:4326",
        "cog",
        1,
        1,
    )
    key = meta["s3_uri"].removeprefix(f"s3://{lanes.minio.lake_bucket}/")
    local = lanes.minio.download_from_lake(key, lanes.tmp_path / "dem_cog.tif")
    with rasterio.open(local) as cog:
        assert cog.crs.to_epsg() == 4326
        assert cog.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert lanes.mongodb.get_latest_asset("dem").format == "cog"  # type: ignore[union-attr]


def test_tabular_ingest_normalises_headers(lanes: Lanes) -> None:
    path = write_sample_csv(lanes.tmp_path / "stats.csv", 12)
    file = {"path": lanes.land(path, "b1/stats.csv"), "type": "tabular", "format": "CSV"}
    batch_id = lanes.claim("ingest_tabular", "stats", [file])
    meta = _metadata(lanes.materialize(raw_tabular_asset, batch_id, "stats"))
    assert meta["columns"] == ["region_code", "population_total", "median_age_years"]
    assert meta["header_mapping"]["Median Age (years)"] == "median_age_years"
    assert (meta["row_count"], meta["crs"], meta["bounds"]) == (12, "none", None)
    key = meta["s3_uri"].removeprefix(f"s3://{lanes.minio.lake_bucket}/")
    table = pq.read_table(lanes.minio.download_from_lake(key, lanes.tmp_path / "t.parquet"))
    assert table.column("population_total").to_pylist()[:2] == [1000, 1007]


def test_join_runs_in_postgis_and_leaves_no_schema(
    join_lanes: Lanes, postgis: PostGISResource
) -> None:
    lanes = join_lanes
    _vector(lanes, "regions", 30)
    _tabular(lanes, "census", 20)
    join = {
        "spatial_asset_id": "regions",
        "tabular_dataset_id": "census",  # the older spelling is accepted too
        "left_key": "region_code",
        "how": "left",
    }
    batch_id = lanes.claim("join_datasets", "regions_census", [], join_config=join)
    # A finished run killed before its cleanup left its schema behind: the join sweeps it.
    killed = lanes.instance.get_runs(limit=1)[0].run_id
    postgis.execute_sql(f'CREATE SCHEMA "{RunIdSchemaMapping.from_run_id(killed).schema_name}"')
    result = lanes.materialize(joined_spatial_asset, batch_id, "regions_census")
    meta = _metadata(result)
    assert (meta["feature_count"], meta["matched_features"], meta["crs"]) == (20, 20, "EPSG:4326")
    assert meta["columns"][:3] == ["region_code", "population_total", "median_age_years"]
    assert "name" in meta["columns"] and "area_m2" in meta["columns"]
    assert meta["spatial_asset"] == "regions v1" and meta["tabular_asset"] == "census v1"
    assert postgis.list_ephemeral_schemas() == []
    key = meta["s3_uri"].removeprefix(f"s3://{lanes.minio.lake_bucket}/")
    table = pq.read_table(lanes.minio.download_from_lake(key, lanes.tmp_path / "j.parquet"))
    row = table.filter(pq.filters_to_expression([("region_code", "=", "R0000003")])).to_pylist()[0]
    assert row["population_total"] == 1021 and row["name"] == "Region 3"
    assert lanes.mongodb.get_latest_asset("regions_census").kind == "joined"  # type: ignore[union-attr]


def _failure(result: dg.ExecuteInProcessResult) -> str:
    assert not result.success
    (event,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert event.step_failure_data is not None
    error = event.step_failure_data.error
    assert error is not None
    return error.message


def test_join_naming_unknown_assets_fails_and_leaves_no_schema(
    join_lanes: Lanes, postgis: PostGISResource
) -> None:
    lanes = join_lanes
    join = {"spatial_asset_id": "nowhere", "tabular_asset_id": "nothing", "left_key": "k"}
    batch_id = lanes.claim("join_datasets", "j", [], join_config=join)
    message = _failure(lanes.materialize(joined_spatial_asset, batch_id, "j", ok=False))
    assert "join_config.spatial_asset_id 'nowhere' (any version) is not in the ledger" in message
    assert postgis.list_ephemeral_schemas() == []


def test_join_on_a_missing_column_fails_after_dropping_its_schema(
    join_lanes: Lanes, postgis: PostGISResource
) -> None:
    lanes = join_lanes
    _vector(lanes, "regions", 5)
    _tabular(lanes, "census", 5)
    join = {
        "spatial_asset_id": "regions",
        "tabular_asset_id": "census",
        "left_key": "region_code",
        "right_key": "code",
    }
    batch_id = lanes.claim("join_datasets", "j2", [], join_config=join)
    message = _failure(lanes.materialize(joined_spatial_asset, batch_id, "j2", ok=False))
    assert "join_config.right_key 'code' is not a column of the spatial asset 'regions'" in message
    assert postgis.list_ephemeral_schemas() == []


def test_missing_and_corrupt_files_fail_with_the_path_named(lanes: Lanes) -> None:
    missing = {
        "path": f"s3://{lanes.minio.landing_bucket}/b/none.gpkg",
        "type": "vector",
        "format": "GPKG",
    }
    batch_id = lanes.claim("ingest_vector", "m", [missing])
    message = _failure(lanes.materialize(raw_spatial_asset, batch_id, "m", ok=False))
    assert "b/none.gpkg: is not in the landing zone" in message

    corrupt = lanes.tmp_path / "corrupt.gpkg"
    corrupt.write_bytes(b"definitely not a geopackage")
    file = {"path": lanes.land(corrupt, "b/corrupt.gpkg"), "type": "vector", "format": "GPKG"}
    batch_id = lanes.claim("ingest_vector", "c", [file])
    message = _failure(lanes.materialize(raw_spatial_asset, batch_id, "c", ok=False))
    assert "corrupt.gpkg: not a readable vector file" in message
    assert lanes.mongodb.get_latest_asset("c") is None


def test_a_run_for_the_wrong_partition_is_refused(lanes: Lanes) -> None:
    path = write_sample_csv(lanes.tmp_path / "s.csv", 3)
    file = {"path": lanes.land(path, "b/s.csv"), "type": "tabular", "format": "CSV"}
    batch_id = lanes.claim("ingest_tabular", "stats", [file])
    message = _failure(lanes.materialize(raw_tabular_asset, batch_id, "other", ok=False))
    assert "run partition 'other' is not the manifest's dataset_id 'stats'" in message


def test_legacy_ingest_job_converts_like_the_spatial_asset(lanes: Lanes) -> None:
    path = write_sample_vector(lanes.tmp_path / "footprints.geojson", 12, driver="GeoJSON")
    file = {"path": lanes.land(path, "b/footprints.geojson"), "type": "vector", "format": "GeoJSON"}
    batch_id = lanes.claim("ingest_building_footprints", "footprints", [file])
    result = ingest_job.execute_in_process(
        resources=lanes.resources, instance=lanes.instance, tags={"batch_id": batch_id}
    )
    assert result.success
    uri = result.output_for_node("legacy_ingest_op")
    assert uri.startswith(f"s3://{lanes.minio.lake_bucket}/spatial/footprints/")
    asset = lanes.mongodb.get_latest_asset("footprints")
    run_object_id = lanes.mongodb.get_run_object_id(result.run_id)
    assert asset is not None and run_object_id is not None
    assert (asset.feature_count, asset.crs, asset.run_id) == (12, "EPSG:4326", run_object_id)
    assert asset.metadata["intent"] == "ingest_building_footprints"


class RefusingGDAL(GDALResource):
    """A stand-in GDAL: the resource is replaced like any other in a test."""

    def vector_to_geoparquet(self, source: str | Path, destination: str | Path, **_: Any) -> Any:
        raise SpatialFileError(f"{Path(source).name}: refused by the stand-in")


def test_gdal_is_replaceable_and_its_errors_name_the_manifest_path(lanes: Lanes) -> None:
    path = write_sample_vector(lanes.tmp_path / "p.gpkg", 3)
    file = {"path": lanes.land(path, "b/p.gpkg"), "type": "vector", "format": "GPKG"}
    batch_id = lanes.claim("ingest_vector", "p", [file])
    lanes.resources["gdal"] = RefusingGDAL()
    message = _failure(lanes.materialize(raw_spatial_asset, batch_id, "p", ok=False))
    assert f"s3://{lanes.minio.landing_bucket}/b/p.gpkg: p.gpkg: refused by the stand-in" in message
