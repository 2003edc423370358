"""A secret typed into the Launchpad's run config is refused before a run exists.

The production resources (as the location builds them) name their secrets' variables; run
config may name another variable but never carry a value, so nothing secret is stored.
"""

import dagster as dg
import pytest

from platform_config import Environment
from platform_testing.launchpad import assert_literal_secret_refused
from reports.components import ReportsOrchestrator
from reports.resources import DjangoApiResource, FabricStorageResource, FireantResource
from reports.settings import ReportsSettings


@dg.asset
def uses_every_secret(
    django_api: DjangoApiResource,
    fireant_api: FireantResource,
    fabric_storage: FabricStorageResource,
) -> None:
    """Needs the three resources, so a run of it validates their config."""


_settings = ReportsSettings.model_validate({"django_jwt_token": "in-the-environment"})
_orchestrator = ReportsOrchestrator.model_validate({"scheduling_approach": "sensor"})
defs = dg.Definitions(
    assets=[uses_every_secret],
    jobs=[dg.define_asset_job("uses_every_secret_job", [uses_every_secret])],
    resources=_orchestrator.resources(Environment.PROD, _settings),
)


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        ("django_api", "jwt_token"),
        ("django_api", "password"),
        ("fireant_api", "api_key"),
        ("fabric_storage", "client_secret"),
    ],
)
def test_a_literal_secret_in_run_config_is_refused_before_a_run_exists(
    resource: str, field: str
) -> None:
    assert_literal_secret_refused(
        "uses_every_secret_job", resource, field, python_file=__file__, attribute="defs"
    )


def test_the_production_resources_only_name_their_variables() -> None:
    resolved = dg.validate_run_config(defs.resolve_job_def("uses_every_secret_job"), {})
    config = {name: entry["config"] for name, entry in resolved["resources"].items()}
    assert config["django_api"]["jwt_token"] == {"env": "DJANGO_JWT_TOKEN"}
    assert config["fireant_api"]["api_key"] == {"env": "FIREANT_API_KEY"}
    assert config["fabric_storage"]["client_secret"] == {"env": "AZURE_CLIENT_SECRET"}
