"""The lane assets, partitioned by ``dataset_id``: raw spatial, raw tabular, joined."""

from spatial_etl.assets.joined import joined_spatial_asset
from spatial_etl.assets.raw import raw_spatial_asset, raw_tabular_asset

__all__ = ["joined_spatial_asset", "raw_spatial_asset", "raw_tabular_asset"]
