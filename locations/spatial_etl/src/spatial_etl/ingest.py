"""What each lane does with its manifest, shared by the lane assets and the legacy op job.

Every path ends the same way: a file in the run's scratch folder, published to the lake by
``lake.publish`` (content hash, ledger version) and described by the same metadata.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from spatial_etl.join import JoinInputError, join_in_postgis
from spatial_etl.lake import materialization_metadata, publish
from spatial_etl.landing_files import SHAPEFILE_SIDECARS, download_inputs, single_input
from spatial_etl.run_manifest import RunManifest
from spatial_etl.tabular import TabularFileError, tabular_to_parquet
from spatial_manifest import FileType
from spatial_platform import (
    AssetRecord,
    GDALResource,
    MinIOResource,
    MongoDBResource,
    PostGISResource,
    SpatialFileError,
)


@contextmanager
def scratch_folder(run_id: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"spatial-{run_id[:8]}-") as folder:
        yield Path(folder)


def ingest_spatial(
    lane: RunManifest,
    *,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    gdal: GDALResource,
    dagster_run_id: str,
    scratch: Path,
) -> dict[str, Any]:
    """Vector: repair, reproject, GeoParquet. Raster: reproject, COG. Returns the metadata."""
    manifest = lane.manifest
    primaries = [
        entry for entry in manifest.files if not entry.key.lower().endswith(SHAPEFILE_SIDECARS)
    ]
    local = single_input(download_inputs(minio, primaries, scratch / "in"), "spatial")
    out = scratch / "out"
    out.mkdir()
    try:
        if local.entry.type == FileType.RASTER:
            raster = gdal.raster_to_cog(local.path, out / "data.tif")
            crs, bounds, count = raster.crs, raster.bounds, None
            kind_metadata: dict[str, Any] = {
                "source_crs": raster.source_crs,
                "width": raster.width,
                "height": raster.height,
                "band_count": raster.band_count,
                "dtype": raster.dtype,
            }
            produced, fmt = raster.path, "cog"
        else:
            vector = gdal.vector_to_geoparquet(local.path, out / "data.parquet")
            crs, bounds, count = vector.crs, vector.bounds, vector.feature_count
            kind_metadata = {
                "source_crs": vector.source_crs,
                "geometry_types": vector.geometry_types,
                "repaired_geometries": vector.repaired_count,
                "null_geometries": vector.null_geometry_count,
                "columns": vector.columns,
                "source_features": gdal.vector_info(local.path).get("features"),
            }
            produced, fmt = vector.path, "geoparquet"
    except SpatialFileError as exc:
        raise dg.Failure(f"{local.entry.path}: {exc}") from None
    published = publish(
        minio=minio,
        mongodb=mongodb,
        local_path=produced,
        kind="spatial",
        fmt=fmt,
        dataset_id=manifest.dataset_id,
        dagster_run_id=dagster_run_id,
        run_object_id=lane.run_object_id,
        crs=crs,
        bounds=bounds,
        feature_count=count,
        metadata=_ledger_metadata(lane, {**kind_metadata, "source_path": local.entry.path}),
    )
    return materialization_metadata(
        published,
        batch_id=manifest.batch_id,
        crs=crs,
        bounds=bounds,
        feature_count=count,
        extra={**kind_metadata, "format": fmt, "source_path": local.entry.path},
    )


def ingest_tabular(
    lane: RunManifest,
    *,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    dagster_run_id: str,
    scratch: Path,
) -> dict[str, Any]:
    """CSV or Parquet to Parquet with normalised headers. Returns the metadata."""
    manifest = lane.manifest
    local = single_input(download_inputs(minio, manifest.files, scratch / "in"), "tabular")
    out = scratch / "out"
    out.mkdir()
    try:
        table = tabular_to_parquet(local.path, local.entry.format, out / "data.parquet")
    except TabularFileError as exc:
        raise dg.Failure(f"{local.entry.path}: {exc}") from None
    published = publish(
        minio=minio,
        mongodb=mongodb,
        local_path=table.path,
        kind="tabular",
        fmt="parquet",
        dataset_id=manifest.dataset_id,
        dagster_run_id=dagster_run_id,
        run_object_id=lane.run_object_id,
        crs=None,
        bounds=None,
        feature_count=table.row_count,
        metadata=_ledger_metadata(
            lane, {"header_mapping": table.header_mapping, "source_path": local.entry.path}
        ),
    )
    return materialization_metadata(
        published,
        batch_id=manifest.batch_id,
        crs=None,
        bounds=None,
        feature_count=table.row_count,
        extra={
            "row_count": dg.MetadataValue.int(table.row_count),
            "columns": table.columns,
            "header_mapping": dg.MetadataValue.json(table.header_mapping),
            "format": "parquet",
            "source_path": local.entry.path,
        },
    )


def join_datasets(
    lane: RunManifest,
    *,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    postgis: PostGISResource,
    dagster_run_id: str,
    scratch: Path,
    log: Any,
) -> dict[str, Any]:
    """Join the named tabular asset onto the named spatial asset in PostGIS."""
    from spatial_etl.schema_sweep import sweep_orphaned_schemas

    manifest = lane.manifest
    sweep_orphaned_schemas(postgis, mongodb, log)
    config = manifest.metadata.join_config
    if config is None:
        raise dg.Failure(
            f"batch_id {manifest.batch_id!r}: join_datasets needs metadata.join_config"
        )
    spatial = _ledger_asset(mongodb, config.spatial_asset_id, config.spatial_version, "spatial")
    tabular = _ledger_asset(mongodb, config.tabular_asset_id, config.tabular_version, "tabular")
    if spatial.format != "geoparquet":
        raise dg.Failure(
            f"join_config.spatial_asset_id {config.spatial_asset_id!r} is a {spatial.format} "
            "raster: only vector (GeoParquet) assets can be joined"
        )
    scratch.joinpath("in").mkdir()
    spatial_path = minio.download_from_lake(spatial.s3_key, scratch / "in" / "spatial.parquet")
    tabular_path = minio.download_from_lake(tabular.s3_key, scratch / "in" / "tabular.parquet")
    try:
        joined = join_in_postgis(
            postgis, dagster_run_id, spatial_path, tabular_path, config, scratch / "joined.parquet"
        )
    except JoinInputError as exc:
        raise dg.Failure(f"batch_id {manifest.batch_id!r}: {exc}") from None
    sources = {
        "spatial_asset": f"{spatial.dataset_id} v{spatial.version}",
        "tabular_asset": f"{tabular.dataset_id} v{tabular.version}",
        "join": f"{config.how} on tabular.{config.left_key} = spatial.{config.spatial_key}",
    }
    published = publish(
        minio=minio,
        mongodb=mongodb,
        local_path=joined.path,
        kind="joined",
        fmt="geoparquet",
        dataset_id=manifest.dataset_id,
        dagster_run_id=dagster_run_id,
        run_object_id=lane.run_object_id,
        crs="EPSG:4326",
        bounds=joined.bounds,
        feature_count=joined.row_count,
        metadata=_ledger_metadata(lane, {**sources, "columns": joined.columns}),
    )
    return materialization_metadata(
        published,
        batch_id=manifest.batch_id,
        crs="EPSG:4326",
        bounds=joined.bounds,
        feature_count=joined.row_count,
        extra={
            **sources,
            "matched_features": dg.MetadataValue.int(joined.matched_count),
            "geometry_types": joined.geometry_types,
            "columns": joined.columns,
            "format": "geoparquet",
        },
    )


def _ledger_asset(
    mongodb: MongoDBResource, dataset_id: str, version: int | None, kind: str
) -> AssetRecord:
    asset = (
        mongodb.get_latest_asset(dataset_id)
        if version is None
        else mongodb.get_asset(dataset_id, version)
    )
    which = "any version" if version is None else f"version {version}"
    if asset is None:
        raise dg.Failure(
            f"join_config.{kind}_asset_id {dataset_id!r} ({which}) is not in the ledger: "
            f"ingest it first"
        )
    if asset.kind != kind:
        raise dg.Failure(
            f"join_config.{kind}_asset_id {dataset_id!r} is a {asset.kind} asset, not {kind}"
        )
    return asset


def _ledger_metadata(lane: RunManifest, details: dict[str, Any]) -> dict[str, Any]:
    """What the ledger keeps about an asset: the uploader's metadata and what was done."""
    manifest = lane.manifest
    meta = manifest.metadata
    return {
        "batch_id": manifest.batch_id,
        "uploader": manifest.uploader,
        "intent": manifest.intent,
        "project": meta.project,
        "title": meta.title,
        "description": meta.description,
        "tags": dict(meta.tags),
        "keywords": list(meta.keywords),
        "source": meta.source,
        "license": meta.license,
        "attribution": meta.attribution,
        **details,
    }
