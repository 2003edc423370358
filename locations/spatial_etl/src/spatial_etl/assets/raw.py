"""``raw_spatial_asset`` and ``raw_tabular_asset``: a landed file, converted, in the lake."""

import time

import dagster as dg

from spatial_etl.checks.lake_file import inspect_published, raw_spatial_check_specs
from spatial_etl.ingest import ingest_spatial, ingest_tabular, scratch_folder
from spatial_etl.partitions import dataset_partitions
from spatial_etl.run_manifest import start_lane_run
from spatial_platform import GDALResource, MinIOResource, MongoDBResource

GROUP = "spatial_etl"


@dg.asset(
    name="raw_spatial_asset",
    partitions_def=dataset_partitions,
    group_name=GROUP,
    kinds={"gdal", "geoparquet", "s3"},
    description="A vector file repaired (make_valid), reprojected to EPSG:4326 and written as "
    "GeoParquet, or a raster reprojected to a Cloud-Optimized GeoTIFF, in the data lake.",
    check_specs=raw_spatial_check_specs("raw_spatial_asset"),
)
def raw_spatial_asset(
    context: dg.AssetExecutionContext,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    gdal: GDALResource,
) -> dg.MaterializeResult:
    started = time.monotonic()
    lane = start_lane_run(context.run, mongodb, minio.landing_bucket)
    with scratch_folder(context.run.run_id) as scratch:
        metadata = ingest_spatial(
            lane,
            minio=minio,
            mongodb=mongodb,
            gdal=gdal,
            dagster_run_id=context.run.run_id,
            scratch=scratch,
        )
        checks, published = inspect_published(
            minio, metadata, gdal.target_crs, scratch / "published"
        )
    context.log.info(
        f"{lane.manifest.dataset_id}: version {metadata['version'].value} at {metadata['s3_uri']}"
    )
    duration = {"duration_seconds": round(time.monotonic() - started, 3)}
    return dg.MaterializeResult(
        metadata={**metadata, **published, **duration}, check_results=checks
    )


@dg.asset(
    name="raw_tabular_asset",
    partitions_def=dataset_partitions,
    group_name=GROUP,
    kinds={"parquet", "s3"},
    description="A CSV or Parquet file with normalised headers, as Parquet in the data lake.",
)
def raw_tabular_asset(
    context: dg.AssetExecutionContext, minio: MinIOResource, mongodb: MongoDBResource
) -> dg.MaterializeResult:
    lane = start_lane_run(context.run, mongodb, minio.landing_bucket)
    with scratch_folder(context.run.run_id) as scratch:
        metadata = ingest_tabular(
            lane,
            minio=minio,
            mongodb=mongodb,
            dagster_run_id=context.run.run_id,
            scratch=scratch,
        )
    return dg.MaterializeResult(metadata=metadata)
