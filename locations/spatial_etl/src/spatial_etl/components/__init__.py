"""Component types this location registers with dg (``registry_modules``)."""

from spatial_etl.components.manifest_lanes import ManifestLanes

__all__ = ["ManifestLanes"]
