"""``joined_spatial_asset``: a tabular asset joined onto a spatial one, in PostGIS."""

import dagster as dg

from spatial_etl.assets.raw import GROUP, raw_spatial_asset, raw_tabular_asset
from spatial_etl.ingest import join_datasets, scratch_folder
from spatial_etl.partitions import dataset_partitions
from spatial_etl.run_manifest import start_lane_run
from spatial_platform import MinIOResource, MongoDBResource, PostGISResource


@dg.asset(
    name="joined_spatial_asset",
    partitions_def=dataset_partitions,
    group_name=GROUP,
    kinds={"postgis", "geoparquet", "s3"},
    # The join reads other datasets' partitions, named by its manifest's join_config.
    deps=[
        dg.AssetDep(raw_spatial_asset, partition_mapping=dg.AllPartitionMapping()),
        dg.AssetDep(raw_tabular_asset, partition_mapping=dg.AllPartitionMapping()),
    ],
    description="The join_config's tabular asset joined onto its spatial asset in the run's "
    "ephemeral PostGIS schema (dropped afterwards), exported as GeoParquet to the lake.",
)
def joined_spatial_asset(
    context: dg.AssetExecutionContext,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    postgis: PostGISResource,
) -> dg.MaterializeResult:
    lane = start_lane_run(context.run, mongodb, minio.landing_bucket)
    with scratch_folder(context.run.run_id) as scratch:
        metadata = join_datasets(
            lane,
            minio=minio,
            mongodb=mongodb,
            postgis=postgis,
            dagster_run_id=context.run.run_id,
            scratch=scratch,
            log=context.log,
        )
    return dg.MaterializeResult(metadata=metadata)
