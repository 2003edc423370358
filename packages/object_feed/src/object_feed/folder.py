"""A local folder as an object store: keys are ``/``-separated paths below the root."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from object_feed.listing import ObjectInfo


class FolderLister:
    """Lists the files under ``root`` in key order, strictly after a key.

    Stands in for a bucket on a laptop (drop a file in, the feed sees it). A folder has no
    ordered index, so a listing walks the prefix's directory; ``version`` is the file's
    modification time and size, which change when a file is rewritten. Files whose name
    starts with ``.`` (partial copies, editor files) are ignored.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_after(self, prefix: str, start_after: str | None) -> Iterator[ObjectInfo]:
        directory = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not directory.is_dir():
            return
        keys = []
        for path in directory.rglob("*"):
            if path.name.startswith(".") or not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix) and (start_after is None or key > start_after):
                keys.append((key, path))
        for key, path in sorted(keys):
            stat = path.stat()
            yield ObjectInfo(
                key=key,
                version=f"{stat.st_mtime_ns}-{stat.st_size}",
                size=stat.st_size,
                updated=datetime.fromtimestamp(stat.st_mtime, UTC),
            )
