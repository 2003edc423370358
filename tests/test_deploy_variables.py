"""Every variable each location reads is listed in deploy/.env.example and in its Helm values.

A location's variables are those its YAML components declare (``requirements: env:`` in
``defs/**/defs.yaml``) and those of the settings classes it reads them with; the settings
classes' variables must be declared too.
"""

import re
from pathlib import Path

import pytest
import yaml

from platform_config import PlatformSettings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
# Set by the deploy itself (compose, Helm env), not by the team.
DEPLOY_SET = {"DAGSTER_ENVIRONMENT"}


def settings_classes(location: str) -> list[type[PlatformSettings]]:
    from estore.settings import EstoreSettings
    from platform_alerting.sinks import AlertSettings
    from reports.settings import ReportsSettings
    from spatial_platform.settings import MinIOSettings, MongoSettings, PostGISSettings

    return {
        "dataloader": [AlertSettings],
        "estore": [EstoreSettings, AlertSettings],
        "reports": [ReportsSettings, AlertSettings],
        "spatial_etl": [MinIOSettings, MongoSettings, PostGISSettings, AlertSettings],
    }[location]


LOCATIONS = ["dataloader", "estore", "reports", "spatial_etl"]


def declared(location: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "locations" / location / "src" / location / "defs").rglob("defs.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            names |= set(((document or {}).get("requirements") or {}).get("env") or [])
    return names


def settings_variables(location: str) -> set[str]:
    names = set()
    for cls in settings_classes(location):
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        names |= {f"{prefix}{field}".upper() for field in cls.model_fields}
    return names


def variables(location: str) -> set[str]:
    return (declared(location) | settings_variables(location)) - DEPLOY_SET


def env_example_names() -> set[str]:
    text = (DEPLOY / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def helm_names(location: str) -> set[str]:
    text = (DEPLOY / "helm" / "locations" / f"{location}.values.yaml").read_text()
    listed = text.split("# Variables the location reads", 1)[1].split("\ndeployments:", 1)[0]
    (deployment,) = yaml.safe_load(text)["deployments"]
    return set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", listed)) | {
        env["name"] for env in deployment.get("env", [])
    }


def test_every_location_is_covered() -> None:
    assert sorted(p.name for p in (ROOT / "locations").iterdir() if p.is_dir()) == LOCATIONS


def test_reports_declares_exactly_what_its_settings_read() -> None:
    assert declared("reports") - DEPLOY_SET == settings_variables("reports")


@pytest.mark.parametrize("location", LOCATIONS)
def test_env_example_lists_every_variable_of_the_location(location: str) -> None:
    assert variables(location) - env_example_names() == set()


@pytest.mark.parametrize("location", LOCATIONS)
def test_helm_values_list_every_variable_of_the_location(location: str) -> None:
    assert variables(location) - helm_names(location) == set()
