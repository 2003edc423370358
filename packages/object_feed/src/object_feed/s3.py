"""S3 and MinIO listing through the ``minio`` SDK (``list_objects(start_after=...)``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from object_feed.listing import ObjectInfo

if TYPE_CHECKING:
    from minio import Minio


class S3Lister:
    """Lists a bucket's objects in key order (ListObjectsV2 ``StartAfter``)."""

    def __init__(self, client: Minio, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def list_after(self, prefix: str, start_after: str | None) -> Iterator[ObjectInfo]:
        objects = self._client.list_objects(
            self._bucket, prefix=prefix or None, recursive=True, start_after=start_after
        )
        for obj in objects:
            if obj.is_dir or obj.object_name is None:
                continue
            if start_after is not None and obj.object_name <= start_after:
                continue
            yield ObjectInfo(
                key=obj.object_name,
                version=(obj.etag or "").strip('"'),
                size=int(obj.size or 0),
                updated=obj.last_modified,
            )
