"""What a feed needs from an object store: the keys under a prefix that sort after a key."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ObjectInfo:
    """One object as listed: its key, the version that identifies its content, and its size.

    ``version`` is the GCS generation or the S3 ETag, so a run key built from it names the
    exact content a run loaded.
    """

    key: str
    version: str
    size: int = 0
    updated: datetime | None = None


class ObjectLister(Protocol):
    """Lists objects in key order, starting strictly after a key.

    Implementations must ask the store to start after ``start_after`` (GCS ``startOffset``,
    S3 ``StartAfter``) so a listing costs O(objects after it), never O(bucket).
    """

    def list_after(self, prefix: str, start_after: str | None) -> Iterator[ObjectInfo]: ...
