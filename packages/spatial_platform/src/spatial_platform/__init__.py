"""Typed settings and Dagster resources of the spatial ETL.

``MinIOResource`` (landing zone and lake), ``MongoDBResource`` (the ledger),
``PostGISResource`` (ephemeral per-run schemas), ``GDALResource`` (vector and raster
through wheels); ``spatial_resources`` picks their implementations by environment.
Nothing here imports GDAL, pyarrow or a database driver until a method needs it.
"""

from spatial_platform.content import file_sha256
from spatial_platform.gdal_resource import (
    GDALResource,
    GDALResult,
    RasterResult,
    SpatialFileError,
    VectorResult,
)
from spatial_platform.ledger import (
    ASSETS,
    MANIFESTS,
    RUNS,
    AssetRecord,
    AssetRegistration,
    LedgerStatus,
    ManifestRecord,
    RunRecord,
)
from spatial_platform.minio_resource import (
    ARCHIVE_PREFIX,
    MANIFEST_PREFIX,
    LakeWriteRefused,
    LocalMinIOResource,
    ManifestUnreadable,
    MinIOResource,
    UnsafeObjectPath,
    archive_key_for,
)
from spatial_platform.mongodb_resource import (
    DuplicateBatchError,
    LocalMongoDBResource,
    MongoDBResource,
)
from spatial_platform.postgis_resource import LocalPostGISResource, PostGISResource
from spatial_platform.resources import RESOURCE_KEYS, spatial_resources
from spatial_platform.schema_mapping import RunIdSchemaMapping
from spatial_platform.settings import (
    COMPUTE_DATABASE,
    LAKE_BUCKET,
    LANDING_BUCKET,
    LEDGER_DATABASE,
    MinIOSettings,
    MongoSettings,
    PostGISSettings,
)

__all__ = [
    "ARCHIVE_PREFIX",
    "ASSETS",
    "COMPUTE_DATABASE",
    "LAKE_BUCKET",
    "LANDING_BUCKET",
    "LEDGER_DATABASE",
    "MANIFESTS",
    "MANIFEST_PREFIX",
    "RESOURCE_KEYS",
    "RUNS",
    "AssetRecord",
    "AssetRegistration",
    "DuplicateBatchError",
    "GDALResource",
    "GDALResult",
    "LakeWriteRefused",
    "LedgerStatus",
    "LocalMinIOResource",
    "LocalMongoDBResource",
    "LocalPostGISResource",
    "ManifestRecord",
    "ManifestUnreadable",
    "MinIOResource",
    "MinIOSettings",
    "MongoDBResource",
    "MongoSettings",
    "PostGISResource",
    "PostGISSettings",
    "RasterResult",
    "RunIdSchemaMapping",
    "RunRecord",
    "SpatialFileError",
    "UnsafeObjectPath",
    "VectorResult",
    "archive_key_for",
    "file_sha256",
    "spatial_resources",
]
