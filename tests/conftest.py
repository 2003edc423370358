"""Workspace-level fixtures: the repository root and the four locations it serves."""

import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def workspace_projects() -> list[Path]:
    config = tomllib.loads((ROOT / "dg.toml").read_text())
    return [ROOT / p["path"] for p in config["workspace"]["projects"]]


def image_build_args() -> dict[str, dict[str, str]]:
    """Each location image's build arguments in deploy/docker-compose.yaml, by location."""
    services = yaml.safe_load((ROOT / "deploy" / "docker-compose.yaml").read_text())["services"]
    return {
        service["build"]["args"]["LOCATION"]: service["build"]["args"]
        for service in services.values()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def location_names() -> list[str]:
    return [p.name for p in workspace_projects()]
