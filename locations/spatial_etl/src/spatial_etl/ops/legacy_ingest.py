"""``legacy_ingest_op``: the vector ingest of the op-based ``ingest_job`` (legacy intents)."""

import dagster as dg

from spatial_etl.ingest import ingest_spatial, scratch_folder
from spatial_etl.run_manifest import read_run_manifest
from spatial_platform import GDALResource, MinIOResource, MongoDBResource


@dg.op(
    name="legacy_ingest_op",
    description="Converts the manifest's file like raw_spatial_asset and registers it in the "
    "ledger (unpartitioned: the legacy lane)",
)
def legacy_ingest_op(
    context: dg.OpExecutionContext,
    run_object_id: str,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    gdal: GDALResource,
) -> dg.Output[str]:
    lane = read_run_manifest(context.run, mongodb, minio.landing_bucket, run_object_id)
    with scratch_folder(context.run.run_id) as scratch:
        metadata = ingest_spatial(
            lane,
            minio=minio,
            mongodb=mongodb,
            gdal=gdal,
            dagster_run_id=context.run.run_id,
            scratch=scratch,
        )
    return dg.Output(str(metadata["s3_uri"]), metadata=metadata)
