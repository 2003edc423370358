"""``SpatialAssets``: the lane assets, the jobs the lane sensors launch, and the resources.

The resources' implementations follow ``DAGSTER_ENVIRONMENT`` (local stand-ins when unset,
see ``spatial_platform.spatial_resources``); this component is the only one that provides
them, so the lanes component and this one merge without conflict.
"""

import dagster as dg
from pydantic import Field

from platform_config import current_environment
from spatial_etl.assets import joined_spatial_asset, raw_spatial_asset, raw_tabular_asset
from spatial_etl.jobs import LANE_JOBS
from spatial_etl.schema_sweep import postgis_schema_sweep_job, postgis_schema_sweep_schedule
from spatial_platform import GDALResource, spatial_resources


class SpatialAssets(dg.Component, dg.Model, dg.Resolvable):
    """Raw spatial, raw tabular and joined assets on ``dataset_id`` partitions."""

    vector_batch_size: int = Field(
        65_536, ge=1_000, description="Features per batch when converting vector files"
    )
    cog_compression: str = Field("DEFLATE", description="Compression of the COGs written")
    local_postgis_port: int | None = Field(
        None,
        description="Port of the local PostGIS cluster (local only); unset: a free port",
    )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        resources = spatial_resources(
            current_environment(), local_postgis_port=self.local_postgis_port
        )
        resources["gdal"] = GDALResource(
            batch_size=self.vector_batch_size, cog_compression=self.cog_compression
        )
        return dg.Definitions(
            assets=[raw_spatial_asset, raw_tabular_asset, joined_spatial_asset],
            jobs=[*LANE_JOBS, postgis_schema_sweep_job],
            schedules=[postgis_schema_sweep_schedule],
            resources=resources,
        )
