"""Temporary folders that server processes running as another user can use."""

import tempfile
from pathlib import Path


def world_readable_tempdir(prefix: str) -> Path:
    """A temp folder the ``postgres`` user can enter (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path
