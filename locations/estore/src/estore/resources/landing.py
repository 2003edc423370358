"""The landing bucket: GCS in npd / prod; locally a folder or the GCS emulator."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from object_feed import FolderLister, GcsLister, ObjectLister, gcs_client


class LandingStore(dg.ConfigurableResource):
    """Lists and reads landed files.

    Exactly one of three backends: ``local_root`` (a folder per bucket), ``endpoint`` (a GCS
    emulator URL), or neither (Google Cloud Storage with default credentials, ``project``).
    """

    local_root: str | None = None
    endpoint: str | None = None
    project: str | None = None

    def lister(self, bucket: str) -> ObjectLister:
        if self.local_root is not None:
            return FolderLister(Path(self.local_root) / bucket)
        return GcsLister(gcs_client(self.endpoint, self.project), bucket)

    def describe(self, bucket: str, prefix: str = "") -> str:
        if self.local_root is not None:
            return f"local folder {Path(self.local_root) / bucket / prefix}"
        where = f" on {self.endpoint}" if self.endpoint else ""
        return f"gs://{bucket}/{prefix}{where}"

    @contextmanager
    def fetched(self, bucket: str, key: str, generation: str) -> Iterator[Path]:
        """The file's content at ``generation`` on local disk, streamed (flat memory)."""
        if self.local_root is not None:
            path = Path(self.local_root) / bucket / key
            if not path.is_file():
                raise FileNotFoundError(f"{self.describe(bucket, key)} does not exist")
            yield path
            return
        from google.api_core.exceptions import NotFound

        blob = gcs_client(self.endpoint, self.project).bucket(bucket).blob(key)
        with tempfile.TemporaryDirectory(prefix="estore-load-") as tmp:
            path = Path(tmp) / Path(key).name
            try:
                blob.download_to_filename(str(path), if_generation_match=int(generation))
            except NotFound:
                raise FileNotFoundError(
                    f"gs://{bucket}/{key} generation {generation} no longer exists "
                    "(the file was deleted or replaced; a replaced file is a new upload)"
                ) from None
            yield path
