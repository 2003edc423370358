"""The spatial ETL's four resources for an environment: same keys everywhere.

``local`` (``DAGSTER_ENVIRONMENT`` unset): moto's S3 server as MinIO, a MongoDB wire server
(``secantusdb``) for the ledger, both in memory for the session, and the system Postgres with
PostGIS on a free port, all started by ``local_services`` at first use. Elsewhere: the real services from ``MINIO_*``,
``MONGO_CONNECTION_STRING`` and ``POSTGRES_*``; secrets are ``Secret`` fields built from
``dg.EnvVar``, so run config names their variables and never holds a value.
"""

import os
from typing import Any

import dagster as dg

from platform_config import Environment
from spatial_platform.gdal_resource import GDALResource
from spatial_platform.minio_resource import LocalMinIOResource, MinIOResource
from spatial_platform.mongodb_resource import LocalMongoDBResource, MongoDBResource
from spatial_platform.postgis_resource import LocalPostGISResource, PostGISResource
from spatial_platform.settings import (
    COMPUTE_DATABASE,
    LAKE_BUCKET,
    LANDING_BUCKET,
    LEDGER_DATABASE,
)

RESOURCE_KEYS = ("minio", "mongodb", "postgis", "gdal")


def spatial_resources(
    environment: Environment, *, local_postgis_port: int | None = None
) -> dict[str, Any]:
    """``minio``, ``mongodb``, ``postgis`` and ``gdal`` for ``environment``."""
    landing = os.environ.get("MINIO_LANDING_BUCKET", LANDING_BUCKET)
    lake = os.environ.get("MINIO_LAKE_BUCKET", LAKE_BUCKET)
    ledger = os.environ.get("MONGO_DATABASE", LEDGER_DATABASE)
    compute = os.environ.get("POSTGRES_DB", COMPUTE_DATABASE)
    if environment.is_local:
        return {
            "minio": LocalMinIOResource(landing_bucket=landing, lake_bucket=lake),
            "mongodb": LocalMongoDBResource(database=ledger),
            "postgis": LocalPostGISResource(port=local_postgis_port, database=compute),
            "gdal": GDALResource(),
        }
    return {
        "minio": MinIOResource(
            endpoint=dg.EnvVar("MINIO_ENDPOINT"),
            access_key=dg.EnvVar("MINIO_ROOT_USER"),
            secret_key=dg.EnvVar("MINIO_ROOT_PASSWORD"),
            use_ssl=os.environ.get("MINIO_USE_SSL", "false").strip().lower()
            in ("1", "true", "yes"),
            landing_bucket=landing,
            lake_bucket=lake,
        ),
        "mongodb": MongoDBResource(
            connection_string=dg.EnvVar("MONGO_CONNECTION_STRING"), database=ledger
        ),
        "postgis": PostGISResource(
            host=dg.EnvVar("POSTGRES_HOST"),
            port=dg.EnvVar.int("POSTGRES_PORT") if "POSTGRES_PORT" in os.environ else 5432,
            user=dg.EnvVar("POSTGRES_USER"),
            password=dg.EnvVar("POSTGRES_PASSWORD"),
            database=compute,
            sslmode="require",
        ),
        "gdal": GDALResource(),
    }
