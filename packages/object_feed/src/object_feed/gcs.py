"""Google Cloud Storage listing (``list_blobs(start_offset=...)``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from object_feed.listing import ObjectInfo

if TYPE_CHECKING:
    from google.cloud.storage import Client

PAGE_SIZE = 1000


def gcs_client(endpoint: str | None = None, project: str | None = None) -> Client:
    """A storage client: Google's default credentials, or anonymous against ``endpoint``.

    ``endpoint`` points at a GCS emulator (``http://127.0.0.1:port``); leave it unset in
    production.
    """
    from google.cloud import storage

    if endpoint is None:
        return storage.Client(project=project)
    from google.auth.credentials import AnonymousCredentials

    return storage.Client(
        project=project or "local",
        credentials=AnonymousCredentials(),  # pyright: ignore[reportArgumentType]
        client_options={"api_endpoint": endpoint},
    )


class GcsLister:
    """Lists a bucket's blobs in name order from just after a key."""

    def __init__(self, client: Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def list_after(self, prefix: str, start_after: str | None) -> Iterator[ObjectInfo]:
        # GCS's startOffset is inclusive; the comparison below also keeps the contract on
        # stores (and emulators) that ignore the offset.
        blobs = self._client.list_blobs(
            self._bucket,
            prefix=prefix or None,
            start_offset=start_after,
            page_size=PAGE_SIZE,
        )
        for blob in blobs:
            name = str(blob.name)
            if start_after is not None and name <= start_after:
                continue
            yield ObjectInfo(
                key=name,
                version=str(blob.generation),
                size=int(blob.size or 0),
                updated=blob.updated,
            )
