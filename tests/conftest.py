"""Workspace-level fixtures: the repository root, the four locations it serves, their venvs."""

import os
import subprocess
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


@pytest.fixture(scope="session")
def location_venvs() -> dict[str, Path]:
    """Each location's own venv (``locations/<name>/.venv``), made or brought up to date by
    ``scripts/location-venvs`` as ``scripts/dev`` does: what ``dg dev`` and ``dg check defs``
    run each location in."""
    subprocess.run(
        [str(ROOT / "scripts" / "location-venvs")],
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
        check=True,
        timeout=600,
    )
    return {p.name: p / ".venv" for p in workspace_projects()}
