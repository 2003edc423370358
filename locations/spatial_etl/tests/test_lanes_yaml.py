"""An analyst routes a new intent, adds or disables a lane in defs/lanes/defs.yaml, and
`dg check defs` accepts it, or names what is wrong."""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]
LANES = "src/spatial_etl/defs/lanes/defs.yaml"


def _dg(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The copy's src/ goes first, so dg loads the copy rather than the installed location.
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        ["dg", *args], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "spatial_etl"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    return copy


def edit_lanes(project: Path, change: Callable[[list[dict]], None]) -> None:
    path = project / LANES
    document = yaml.safe_load(path.read_text())
    change(document["attributes"]["lanes"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.mark.slow
def test_a_new_intent_route_and_a_disabled_lane_pass_dg_check(project_copy: Path) -> None:
    def change(lanes: list[dict]) -> None:
        lanes[1]["intents"].append("ingest_parcels")  # spatial lane takes a new intent
        lanes[2]["enabled"] = False  # tabular lane off
        lanes[3]["minimum_interval_seconds"] = 120

    edit_lanes(project_copy, change)
    checked = _dg(project_copy, "check", "defs", "--use-active-venv")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.slow
def test_dg_check_names_an_intent_routed_twice(project_copy: Path) -> None:
    def change(lanes: list[dict]) -> None:
        lanes[2]["intents"].append("ingest_vector")

    edit_lanes(project_copy, change)
    checked = _dg(project_copy, "check", "defs", "--use-active-venv")
    assert checked.returncode != 0
    assert "intent 'ingest_vector' is routed to both 'spatial' and 'tabular'" in (
        checked.stdout + checked.stderr
    )
