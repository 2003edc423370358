"""A secret typed into the Launchpad's run config is refused before a run exists.

The production resources name their secrets' variables (``MINIO_ROOT_PASSWORD``,
``MONGO_CONNECTION_STRING``, ``POSTGRES_PASSWORD``); run config may name another variable,
never carry a value.
"""

import dagster as dg
import pytest

from platform_config import Environment
from platform_testing.launchpad import assert_literal_secret_refused
from spatial_platform import MinIOResource, MongoDBResource, PostGISResource
from spatial_platform.resources import spatial_resources


@dg.asset
def uses_every_secret(
    minio: MinIOResource, mongodb: MongoDBResource, postgis: PostGISResource
) -> None:
    """Needs the three resources, so a run of it validates their config."""


defs = dg.Definitions(
    assets=[uses_every_secret],
    jobs=[dg.define_asset_job("uses_every_secret_job", [uses_every_secret])],
    resources=spatial_resources(Environment.PROD),
)


@pytest.mark.parametrize(
    ("resource", "field", "value"),
    [
        ("minio", "secret_key", "minio-secret-pasted"),
        ("mongodb", "connection_string", "mongodb://ledger:hunter2@mongo:27017/ledger"),
        ("postgis", "password", "postgres-password-pasted"),
    ],
)
def test_a_literal_secret_in_run_config_is_refused_before_a_run_exists(
    resource: str, field: str, value: str
) -> None:
    assert_literal_secret_refused(
        "uses_every_secret_job",
        resource,
        field,
        value=value,
        python_file=__file__,
        attribute="defs",
    )


def test_the_production_resources_only_name_their_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("MINIO_ENDPOINT", "MINIO_ROOT_USER", "POSTGRES_HOST", "POSTGRES_USER"):
        monkeypatch.setenv(variable, "set")  # plain settings, resolved from the environment
    resolved = dg.validate_run_config(defs.resolve_job_def("uses_every_secret_job"), {})
    config = {name: entry["config"] for name, entry in resolved["resources"].items()}
    assert config["minio"]["secret_key"] == {"env": "MINIO_ROOT_PASSWORD"}
    assert config["mongodb"]["connection_string"] == {"env": "MONGO_CONNECTION_STRING"}
    assert config["postgis"]["password"] == {"env": "POSTGRES_PASSWORD"}
