"""A location's ``dg`` project copied for one test, which edits its YAML and runs ``dg`` on it.

The copy shares the location's own virtualenv (``<project>/.venv``, made by
``scripts/location-venvs``) through a symlink, so ``dg check defs`` runs the copy as it runs
the location: in a venv holding that location alone, whose component registry imports only
its own libraries (the workspace's root venv would import every location's).
"""

import os
import shutil
import subprocess
from pathlib import Path


def copy_project(project: Path, into: Path) -> Path:
    """``project`` copied under ``into`` (sources and YAML; no tests, no bytecode)."""
    copy = into / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("__pycache__", "tests", ".venv"))
    venv = project / ".venv"
    if venv.is_dir():
        (copy / ".venv").symlink_to(venv, target_is_directory=True)
    return copy


def run_dg(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``dg <args>`` in ``project``; its ``src/`` goes first on the path, so the copy is
    loaded rather than the installed location."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        ["dg", *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout
    )
