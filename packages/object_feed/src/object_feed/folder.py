"""A local folder as an object store: keys are ``/``-separated paths below the root."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from object_feed.listing import ObjectInfo


class FolderLister:
    """Lists the files under ``root`` in key order, strictly after a key.

    Stands in for a bucket on a laptop (drop a file in, the feed sees it). A folder has no
    ordered index: a listing reads the names of each directory it needs (no per-file system
    call), skips the directories whose keys all sort at or before ``start_after``, and asks
    the file system about a file only when it yields it. ``version`` is the file's
    modification time and size, which change when a file is rewritten; ``updated`` is the
    later of its modification and status-change times, so a file moved or copied in with an
    old modification time still counts as new. Names starting with ``.`` (partial copies,
    editor files) are ignored.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_after(self, prefix: str, start_after: str | None) -> Iterator[ObjectInfo]:
        for key, path in self._keys(self.root, "", prefix, start_after):
            try:
                stat = Path(path).stat()
            except FileNotFoundError:
                continue  # removed since the directory was read
            yield ObjectInfo(
                key=key,
                version=f"{stat.st_mtime_ns}-{stat.st_size}",
                size=stat.st_size,
                updated=datetime.fromtimestamp(max(stat.st_mtime, stat.st_ctime), UTC),
            )

    def _keys(
        self, directory: Path, base: str, prefix: str, start_after: str | None
    ) -> Iterator[tuple[str, str]]:
        """``(key, path)`` below ``directory`` (whose keys start with ``base``), in key order."""
        try:
            with os.scandir(directory) as scan:
                # A directory sorts as "name/", where its keys sort among its siblings.
                entries = sorted(
                    (entry.name + "/" if entry.is_dir() else entry.name, entry.path)
                    for entry in scan
                    if not entry.name.startswith(".")
                )
        except (FileNotFoundError, NotADirectoryError):
            return
        for name, path in entries:
            key = base + name
            if name.endswith("/"):
                wanted = key.startswith(prefix) or prefix.startswith(key)
                passed = (
                    start_after is not None
                    and start_after > key
                    and not start_after.startswith(key)
                )
                if wanted and not passed:
                    yield from self._keys(Path(path), key, prefix, start_after)
            elif key.startswith(prefix) and (start_after is None or key > start_after):
                yield key, path
