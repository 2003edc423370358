"""A location that breaks leaves the rest running.

This runs the real `dg dev` (webserver, daemon, one code server per location, each in its
own venv) on a copy of the workspace on 127.0.0.1 and reads the load state of each location
over GraphQL. That `./scripts/dev` serves every location unbroken, each loaded in its own venv
as `dg check defs` loads it, is checked in test_scripts_dev.py, on the one `./scripts/dev`
session of the workspace tests; `dg check defs` on edited YAML is checked per location
(dataloader, spatial_etl).
"""

import shutil
from pathlib import Path

import pytest

from platform_testing.webserver import dg_dev
from tests.conftest import ROOT, workspace_projects

pytestmark = pytest.mark.slow

LOCATIONS = {p.name for p in workspace_projects()}
NOT_COPIED = (".venv", ".git", ".dagster", "__pycache__", "*_cache", "bench", "docs")


def test_a_location_that_raises_on_import_leaves_the_others_loaded(
    tmp_path: Path, location_venvs: dict[str, Path]
) -> None:
    # A copy of the workspace whose estore definitions raise on import, each location using
    # its venv from the repository. dg dev puts each project's src/ first on its code
    # server's sys.path, so every location runs the copy.
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT, workspace, ignore=shutil.ignore_patterns(*NOT_COPIED))
    for name, venv in location_venvs.items():
        (workspace / "locations" / name / ".venv").symlink_to(venv)
    definitions = workspace / "locations" / "estore" / "src" / "estore" / "definitions.py"
    definitions.write_text(
        "raise RuntimeError('estore is broken on purpose')\n" + definitions.read_text()
    )
    with dg_dev(workspace, tmp_path / "home") as ui:
        states = ui.wait_for_locations(len(LOCATIONS), timeout=480)
    assert set(states) == LOCATIONS
    assert states["estore"].kind == "PythonError"
    assert "estore is broken on purpose" in (states["estore"].error or "")
    for name in LOCATIONS - {"estore"}:
        assert states[name].kind == "RepositoryLocation", states[name]
