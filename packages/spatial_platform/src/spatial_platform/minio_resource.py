"""``MinIOResource``: the landing zone and the data lake, through the ``minio`` SDK.

The bucket contract: uploaders write manifests and files to the landing bucket; the lake
is written only by ``upload_to_lake``, from files this location produced. Processed
manifests move to ``archive/{key}`` in the landing bucket.
"""

import json
import mimetypes
import posixpath
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field

from platform_config.env_secret import ResourceWithSecrets, Secret, read_secret
from spatial_platform.settings import LAKE_BUCKET, LANDING_BUCKET

if TYPE_CHECKING:
    from minio import Minio

MANIFEST_PREFIX = "manifests/"
ARCHIVE_PREFIX = "archive/"


class ManifestUnreadable(ValueError):
    """A manifest object is missing, not UTF-8, not JSON or not a JSON object."""


class UnsafeObjectPath(ValueError):
    """A file path in a manifest points outside the landing bucket or climbs out of a prefix."""


class LakeWriteRefused(PermissionError):
    """Something tried to write to the lake other than through ``upload_to_lake``."""


class MinIOResource(ResourceWithSecrets):
    """MinIO (or any S3 API) holding ``landing-zone`` and ``data-lake`` (names configurable)."""

    endpoint: str = Field(default="", description="MINIO_ENDPOINT, host:port without scheme")
    access_key: str = Field(default="", description="MINIO_ROOT_USER")
    secret_key: Secret | None = Field(default=None, description="MINIO_ROOT_PASSWORD")
    use_ssl: bool = False
    region: str = "us-east-1"
    landing_bucket: str = LANDING_BUCKET
    lake_bucket: str = LAKE_BUCKET

    def get_client(self) -> "Minio":
        if not self.endpoint:
            raise dg.DagsterInvariantViolationError(
                "MinIOResource needs an endpoint: set MINIO_ENDPOINT (host:port)"
            )
        return _client(
            self.endpoint,
            self.access_key,
            read_secret(self.secret_key) or "",
            self.use_ssl,
            self.region,
        )

    def ensure_buckets(self) -> None:
        """Create the landing and lake buckets when missing (local set-up and tests)."""
        client = self.get_client()
        for bucket in (self.landing_bucket, self.lake_bucket):
            if not client.bucket_exists(bucket):
                client.make_bucket(bucket)

    # -- landing zone ---------------------------------------------------------------------

    def list_manifests(self, start_after: str | None = None, limit: int | None = None) -> list[str]:
        """Keys of the ``*.json`` objects under ``manifests/``, in key order.

        ``start_after`` continues a listing after a key (S3 ``StartAfter``), so a caller that
        remembers the last key it saw pays only for the objects after it.
        """
        keys = []
        for key in self.list_keys(self.landing_bucket, MANIFEST_PREFIX, start_after):
            if key.endswith(".json"):
                keys.append(key)
                if limit is not None and len(keys) >= limit:
                    break
        return keys

    def list_keys(
        self, bucket: str, prefix: str = "", start_after: str | None = None
    ) -> Iterator[str]:
        """Object keys under ``prefix`` (recursive, key order), lazily."""
        objects = self.get_client().list_objects(
            bucket, prefix=prefix or None, recursive=True, start_after=start_after
        )
        return (obj.object_name for obj in objects if obj.object_name is not None)

    def get_manifest(self, key: str) -> dict[str, Any]:
        """Download and parse a manifest; ``ManifestUnreadable`` says what is wrong with it."""
        from minio.error import S3Error

        try:
            raw = self.get_object(self.landing_bucket, key)
        except S3Error as exc:
            raise ManifestUnreadable(
                f"{key}: cannot be read from {self.landing_bucket}: {exc.code}"
            ) from exc
        try:
            document = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ManifestUnreadable(f"{key}: is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ManifestUnreadable(
                f"{key}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        if not isinstance(document, dict):
            raise ManifestUnreadable(
                f"{key}: must hold a JSON object, not {type(document).__name__}"
            )
        return document

    def move_to_archive(self, key: str) -> str:
        """Move a landing object to ``archive/{key}``; return the archive key.

        Idempotent: when the object is already archived, only the archive key is returned.
        """
        from minio.commonconfig import CopySource
        from minio.error import S3Error

        archive_key = archive_key_for(key)
        client = self.get_client()
        try:
            client.copy_object(
                self.landing_bucket, archive_key, CopySource(self.landing_bucket, key)
            )
        except S3Error as exc:
            if exc.code == "NoSuchKey" and self.object_exists(self.landing_bucket, archive_key):
                return archive_key
            raise
        client.remove_object(self.landing_bucket, key)
        return archive_key

    def landing_key(self, path: str) -> str:
        """The landing-bucket key of a manifest file path (``s3://landing-zone/...`` or a key).

        Refuses other buckets, ``..``/``.`` segments, absolute and empty keys: a manifest
        can only name files that its uploader put in the landing zone.
        """
        key = path
        if path.startswith("s3://"):
            bucket, _, key = path.removeprefix("s3://").partition("/")
            if bucket != self.landing_bucket:
                raise UnsafeObjectPath(
                    f"{path}: files must be in the {self.landing_bucket} bucket, not {bucket!r}"
                )
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise UnsafeObjectPath(
                f"{path}: not a plain object key (empty, absolute, '.', '..' or '//' segments)"
            )
        if key.startswith((MANIFEST_PREFIX, ARCHIVE_PREFIX)):
            raise UnsafeObjectPath(f"{path}: data files cannot live under manifests/ or archive/")
        return posixpath.normpath(key)

    def download_from_landing(self, key: str, local_path: str | Path) -> Path:
        self.get_client().fget_object(self.landing_bucket, key, str(local_path))
        return Path(local_path)

    # -- lake -----------------------------------------------------------------------------

    def upload_to_lake(
        self, local_path: str | Path, s3_key: str, content_type: str | None = None
    ) -> str:
        """The lake's only write path: upload a produced file; return ``s3://lake/key``.

        Keys are content-addressed by callers, so an existing object is left as it is and a
        retried run does not upload twice.
        """
        if not self.object_exists(self.lake_bucket, s3_key):
            self.get_client().fput_object(
                self.lake_bucket,
                s3_key,
                str(local_path),
                content_type=content_type or _content_type(s3_key),
            )
        return f"s3://{self.lake_bucket}/{s3_key}"

    def download_from_lake(self, s3_key: str, local_path: str | Path) -> Path:
        self.get_client().fget_object(self.lake_bucket, s3_key, str(local_path))
        return Path(local_path)

    # -- any bucket -------------------------------------------------------------------------

    def get_object(self, bucket: str, key: str) -> bytes:
        response = self.get_client().get_object(bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def put_object(
        self, bucket: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Write bytes to the landing bucket (the lake takes only ``upload_to_lake``)."""
        if bucket != self.landing_bucket:
            raise LakeWriteRefused(
                f"put_object writes to {self.landing_bucket} only, not {bucket!r}: the lake is "
                "written by upload_to_lake from files a run produced"
            )
        import io

        self.get_client().put_object(
            bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )

    def object_exists(self, bucket: str, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.get_client().stat_object(bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
        return True

    def missing_objects(self, objects: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Those of ``objects`` (bucket, key) that do not exist, checked up to 8 at a time,
        so a sensor's sampled file check costs a couple of round trips, not one per file."""
        if len(objects) <= 1:
            return [obj for obj in objects if not self.object_exists(*obj)]
        with ThreadPoolExecutor(min(8, len(objects))) as pool:
            exists = list(pool.map(lambda obj: self.object_exists(*obj), objects))
        return [obj for obj, found in zip(objects, exists, strict=True) if not found]

    def get_presigned_url(
        self, bucket: str, key: str, expires: timedelta = timedelta(hours=1)
    ) -> str:
        """A temporary GET URL, e.g. for GDAL's ``/vsicurl/``."""
        return self.get_client().presigned_get_object(bucket, key, expires=expires)


class LocalMinIOResource(MinIOResource):
    """moto's S3 server as MinIO (``local`` environment), started at first use.

    One server is shared by every process of a ``dg dev`` session (sensors and runs) through
    a state file in ``state_dir``; its objects live in memory, so they last as long as the
    server (``LocalMongoDBResource`` keeps the ledger of that same session). The buckets are
    created when missing.
    """

    state_dir: str = ""
    access_key: str = "local"

    def get_client(self) -> "Minio":
        from spatial_platform.local_s3 import local_session

        endpoint = local_session(self.state_dir).endpoint
        # moto takes any secret: the local one is a constant, never config
        client = _client(endpoint, self.access_key, "local-secret", False, self.region)
        _ensure_buckets_once(client, endpoint, self.landing_bucket, self.lake_bucket)
        return client


def archive_key_for(key: str) -> str:
    """``manifests/batch_001.json`` -> ``archive/manifests/batch_001.json``."""
    return f"{ARCHIVE_PREFIX}{key}"


@cache
def _client(endpoint: str, access_key: str, secret_key: str, secure: bool, region: str) -> "Minio":
    from minio import Minio

    return Minio(
        endpoint,
        access_key=access_key or None,
        secret_key=secret_key or None,
        secure=secure,
        region=region,
    )


@cache
def _ensure_buckets_once(client: "Minio", endpoint: str, *buckets: str) -> None:
    for bucket in buckets:
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)


def _content_type(key: str) -> str:
    if key.endswith(".parquet"):
        return "application/vnd.apache.parquet"
    if key.endswith((".tif", ".tiff")):
        return "image/tiff; application=geotiff; profile=cloud-optimized"
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
