"""An analyst routes a new intent, adds or disables a lane in defs/lanes/defs.yaml, and
`dg check defs` accepts it, or names what is wrong."""

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from platform_testing.dg_project import copy_project, run_dg

PROJECT = Path(__file__).resolve().parents[1]
LANES = "src/spatial_etl/defs/lanes/defs.yaml"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(PROJECT, tmp_path)


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
    checked = run_dg(project_copy, "check", "defs")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.slow
def test_dg_check_names_an_intent_routed_twice(project_copy: Path) -> None:
    def change(lanes: list[dict]) -> None:
        lanes[2]["intents"].append("ingest_vector")

    edit_lanes(project_copy, change)
    checked = run_dg(project_copy, "check", "defs")
    assert checked.returncode != 0
    assert "intent 'ingest_vector' is routed to both 'spatial' and 'tabular'" in (
        checked.stdout + checked.stderr
    )
