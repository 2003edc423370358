"""Where local stand-ins keep their files between `dg dev` sessions."""

import os
from pathlib import Path


def state_dir(name: str) -> Path:
    """``$DAGSTER_HOME/local/<name>`` (``.dagster/local`` under ``scripts/dev``).

    Without ``DAGSTER_HOME``, ``~/.local/state/dagster-platform/<name>``.
    """
    if home := os.environ.get("DAGSTER_HOME"):
        root = Path(home) / "local"
    else:
        root = Path.home() / ".local" / "state" / "dagster-platform"
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path
