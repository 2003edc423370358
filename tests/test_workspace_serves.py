"""`dg dev` serves all four locations, and a location that breaks leaves the rest running.

These start the real `dg dev` (webserver, daemon, one code server per location) on
127.0.0.1 and read the load state of each location over GraphQL.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from platform_testing.webserver import dg_dev
from tests.conftest import ROOT, workspace_projects

pytestmark = pytest.mark.slow

LOCATIONS = {p.name for p in workspace_projects()}
NOT_COPIED = (".venv", ".git", ".dagster", "__pycache__", "*_cache", "bench", "docs")


def test_dg_dev_serves_every_location(tmp_path: Path) -> None:
    with dg_dev(ROOT, tmp_path / "home") as ui:
        states = ui.wait_for_locations(len(LOCATIONS))
    assert set(states) == LOCATIONS
    assert {s.kind for s in states.values()} == {"RepositoryLocation"}, states


def test_a_location_that_raises_on_import_leaves_the_others_loaded(tmp_path: Path) -> None:
    # A copy of the workspace whose estore definitions raise on import. dg dev puts each
    # project's src/ first on its code server's sys.path, so every location runs the copy.
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT, workspace, ignore=shutil.ignore_patterns(*NOT_COPIED))
    definitions = workspace / "locations" / "estore" / "src" / "estore" / "definitions.py"
    definitions.write_text(
        "raise RuntimeError('estore is broken on purpose')\n" + definitions.read_text()
    )
    with dg_dev(workspace, tmp_path / "home") as ui:
        states = ui.wait_for_locations(len(LOCATIONS))
    assert set(states) == LOCATIONS
    assert states["estore"].kind == "PythonError"
    assert "estore is broken on purpose" in (states["estore"].error or "")
    for name in LOCATIONS - {"estore"}:
        assert states[name].kind == "RepositoryLocation", states[name]


def test_dg_check_defs_passes_for_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    result = subprocess.run(
        ["dg", "check", "defs", "--use-active-venv"],
        cwd=ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
