"""The jobs the lane sensors launch: three asset jobs and the legacy op job.

Each has its own time limit (``dagster/max_runtime``, enforced by run monitoring), from what
it does: a vector or raster ingest through GDAL, a tabular load, a PostGIS join. A run past
it is failed and its manifest released by ``manifest_run_failure_sensor``.
"""

import dagster as dg

from run_lifecycle import max_runtime_tags
from spatial_etl.assets import joined_spatial_asset, raw_spatial_asset, raw_tabular_asset
from spatial_etl.ops.init_mongo_run import init_mongo_run_op
from spatial_etl.ops.legacy_ingest import legacy_ingest_op

spatial_asset_job = dg.define_asset_job(
    "spatial_asset_job",
    selection=[raw_spatial_asset],
    description="ingest_vector / ingest_raster manifests: materializes raw_spatial_asset",
    tags=max_runtime_tags(2 * 3600, "spatial_asset_job"),  # GDAL over a large raster
)
tabular_asset_job = dg.define_asset_job(
    "tabular_asset_job",
    selection=[raw_tabular_asset],
    description="ingest_tabular manifests: materializes raw_tabular_asset",
    tags=max_runtime_tags(3600, "tabular_asset_job"),  # a CSV / Parquet into the lake
)
join_asset_job = dg.define_asset_job(
    "join_asset_job",
    selection=[joined_spatial_asset],
    description="join_datasets manifests: materializes joined_spatial_asset",
    tags=max_runtime_tags(3 * 3600, "join_asset_job"),  # two COPYs and a PostGIS join
)


@dg.job(
    name="ingest_job",
    description="Legacy lane: run document, then the vector ingest",
    tags=max_runtime_tags(2 * 3600, "ingest_job"),
)
def ingest_job() -> None:
    legacy_ingest_op(init_mongo_run_op())


LANE_JOBS = [ingest_job, spatial_asset_job, tabular_asset_job, join_asset_job]
