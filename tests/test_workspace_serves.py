"""A location that breaks leaves the rest running, and `dg check defs` passes.

These run the real `dg dev` (webserver, daemon, one code server per location, each in its
own venv) on 127.0.0.1 and read the load state of each location over GraphQL; that
`./scripts/dev` serves every location unbroken is checked in test_scripts_dev.py.
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


def test_dg_check_defs_passes_for_the_workspace(
    tmp_path: Path, location_venvs: dict[str, Path]
) -> None:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    result = subprocess.run(
        ["dg", "check", "defs"],
        cwd=ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
