"""The resources of the ingest side, per ``DAGSTER_ENVIRONMENT``."""

from functools import cache

import dagster as dg

from estore.resources.landing import LandingStore
from estore.resources.warehouse import DuckDBWarehouse
from estore.settings import estore_settings, local_duckdb_path, local_state_dir
from platform_config import Environment


@cache
def ingest_resources(environment: Environment) -> dict[str, object]:
    settings = estore_settings()
    if environment.is_local:
        if settings.gcs_endpoint:
            landing = LandingStore(endpoint=settings.gcs_endpoint)
        else:
            root = settings.landing_dir or local_state_dir() / "landing"
            landing = LandingStore(local_root=str(root))
        return {
            "landing": landing,
            "warehouse": DuckDBWarehouse(database=str(local_duckdb_path())),
        }
    from estore.resources.bigquery import BigQuery

    project = dg.EnvVar("ESTORE_GCP_PROJECT")
    return {
        "landing": LandingStore(project=settings.gcp_project),
        "bigquery": BigQuery(project=project),
    }
