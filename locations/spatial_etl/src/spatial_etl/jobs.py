"""The jobs the lane sensors launch: three asset jobs and the legacy op job."""

import dagster as dg

from spatial_etl.assets import joined_spatial_asset, raw_spatial_asset, raw_tabular_asset
from spatial_etl.ops.init_mongo_run import init_mongo_run_op
from spatial_etl.ops.legacy_ingest import legacy_ingest_op

spatial_asset_job = dg.define_asset_job(
    "spatial_asset_job",
    selection=[raw_spatial_asset],
    description="ingest_vector / ingest_raster manifests: materializes raw_spatial_asset",
)
tabular_asset_job = dg.define_asset_job(
    "tabular_asset_job",
    selection=[raw_tabular_asset],
    description="ingest_tabular manifests: materializes raw_tabular_asset",
)
join_asset_job = dg.define_asset_job(
    "join_asset_job",
    selection=[joined_spatial_asset],
    description="join_datasets manifests: materializes joined_spatial_asset",
)


@dg.job(name="ingest_job", description="Legacy lane: run document, then the vector ingest")
def ingest_job() -> None:
    legacy_ingest_op(init_mongo_run_op())


LANE_JOBS = [ingest_job, spatial_asset_job, tabular_asset_job, join_asset_job]
