"""A local folder as an object store: keys are ``/``-separated paths below the root."""

import bisect
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from object_feed.listing import ObjectInfo

_Entries = tuple[list[str], list[str]]
"""A directory's sort names (a subdirectory as ``name/``) in order, and their paths."""


class _DirectoryCache:
    """Sorted directory listings, kept while the directory's modification time is unchanged.

    Adding, removing or renaming an entry changes a directory's mtime, so an unchanged mtime
    means unchanged names: a tick then finds its start by bisection instead of reading and
    sorting the directory again. A listing read within ``settle_seconds`` of the mtime (a
    file system with coarse timestamps could hide a later change) is reused only for
    ``reuse_seconds``, by the other listings of the same tick.
    """

    def __init__(
        self, max_directories: int = 256, settle_seconds: float = 2.0, reuse_seconds: float = 5.0
    ) -> None:
        self._entries: OrderedDict[str, tuple[int, int, _Entries]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_directories
        self._settle_ns = int(settle_seconds * 1e9)
        self._reuse_ns = int(reuse_seconds * 1e9)

    def entries(self, directory: str) -> _Entries | None:
        try:
            mtime = os.stat(directory).st_mtime_ns  # noqa: PTH116 - one call per directory
        except (FileNotFoundError, NotADirectoryError):
            return None
        now = time.time_ns()
        with self._lock:
            cached = self._entries.get(directory)
            if cached is not None and cached[0] == mtime:
                cached_mtime, read_at, entries = cached
                if read_at - cached_mtime > self._settle_ns or now - read_at < self._reuse_ns:
                    self._entries.move_to_end(directory)
                    return entries
        read_at = now
        try:
            with os.scandir(directory) as scan:
                pairs = sorted(
                    (entry.name + "/" if entry.is_dir() else entry.name, entry.path)
                    for entry in scan
                    if not entry.name.startswith(".")
                )
        except (FileNotFoundError, NotADirectoryError):
            return None
        entries = ([name for name, _ in pairs], [path for _, path in pairs])
        with self._lock:
            self._entries[directory] = (mtime, read_at, entries)
            self._entries.move_to_end(directory)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return entries


_CACHE = _DirectoryCache()


class FolderLister:
    """Lists the files under ``root`` in key order, strictly after a key.

    Stands in for a bucket on a laptop (drop a file in, the feed sees it). A folder has no
    ordered index: a listing reads the names of each directory it needs (no per-file system
    call; kept in memory while the directory is unchanged), starts by bisection after
    ``start_after``, skips the directories whose keys all sort before it, and asks the file
    system about a file only when it yields it. ``version`` is the file's modification time
    and size, which change when a file is rewritten; ``updated`` is the later of its
    modification and status-change times, so a file moved or copied in with an old
    modification time still counts as new. Names starting with ``.`` (partial copies, editor
    files) are ignored.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_after(self, prefix: str, start_after: str | None) -> Iterator[ObjectInfo]:
        for key, path in self._keys(str(self.root), "", prefix, start_after):
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
        self, directory: str, base: str, prefix: str, start_after: str | None
    ) -> Iterator[tuple[str, str]]:
        """``(key, path)`` below ``directory`` (whose keys start with ``base``), in key order."""
        entries = _CACHE.entries(directory)
        if entries is None:
            return
        names, paths = entries
        first = 0
        if start_after is not None and start_after.startswith(base):
            first = bisect.bisect_right(names, start_after[len(base) :])
            # The directory that holds start_after sorts just before it and is still needed.
            holder = names[first - 1] if first else ""
            if holder.endswith("/") and start_after.startswith(base + holder):
                first -= 1
        for name, path in zip(names[first:], paths[first:], strict=True):
            key = base + name
            if name.endswith("/"):
                if key.startswith(prefix) or prefix.startswith(key):
                    yield from self._keys(path, key, prefix, start_after)
            elif key.startswith(prefix) and (start_after is None or key > start_after):
                yield key, path
