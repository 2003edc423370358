"""Workspace-level fixtures: the repository root and the four locations it serves."""

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def workspace_projects() -> list[Path]:
    config = tomllib.loads((ROOT / "dg.toml").read_text())
    return [ROOT / p["path"] for p in config["workspace"]["projects"]]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def location_names() -> list[str]:
    return [p.name for p in workspace_projects()]
