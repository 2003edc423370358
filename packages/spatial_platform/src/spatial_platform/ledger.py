"""Documents of the MongoDB ledger: one record type per collection, and the unified status."""

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MANIFESTS = "manifests"
RUNS = "runs"
ASSETS = "assets"


class LedgerStatus(StrEnum):
    """The one status vocabulary of both manifests and runs."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self is not LedgerStatus.RUNNING


AssetKind = Literal["spatial", "tabular", "joined"]
AssetFormat = Literal["geoparquet", "cog", "parquet"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


INLINE_FILES = 1000
"""Files a manifest record holds as documents; a longer list is kept as one JSON string."""


class ManifestRecord(_Record):
    """``manifests``: one per ``batch_id`` (unique), the manifest as received and its fate.

    A manifest listing more than ``INLINE_FILES`` files keeps them in ``files_json`` (one
    string is stored and read at a fraction of the cost of thousands of documents);
    ``document()`` gives the manifest whole either way.
    """

    batch_id: str
    manifest_key: str
    status: LedgerStatus = LedgerStatus.RUNNING
    intent: str | None = None
    uploader: str | None = None
    lane: str | None = None
    manifest: dict[str, Any] = Field(default_factory=dict)
    files_json: str | None = None
    dagster_run_id: str | None = None
    error_message: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def holding(cls, document: dict[str, Any], **fields: Any) -> "ManifestRecord":
        """A record of ``document``, its files inline or as JSON by their number."""
        files = document.get("files")
        if isinstance(files, list) and len(files) > INLINE_FILES:
            envelope = {name: value for name, value in document.items() if name != "files"}
            return cls(manifest=envelope, files_json=json.dumps(files), **fields)
        return cls(manifest=document, **fields)

    def document(self) -> dict[str, Any]:
        """The manifest as received, files included."""
        if self.files_json is None:
            return self.manifest
        return {**self.manifest, "files": json.loads(self.files_json)}


class RunRecord(_Record):
    """``runs``: one per Dagster run (``dagster_run_id`` unique), linked to its manifest."""

    dagster_run_id: str
    batch_id: str
    job_name: str
    partition_key: str | None = None
    status: LedgerStatus = LedgerStatus.RUNNING
    asset_ids: list[str] = Field(default_factory=list)
    error_message: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None


class AssetRecord(_Record):
    """``assets``: one per (``dataset_id``, ``version``); ``run_id`` is the run's ObjectId."""

    s3_key: str
    dataset_id: str
    version: int = 0  # assigned by MongoDBResource.register_asset
    content_hash: str
    run_id: str
    dagster_run_id: str | None = None
    kind: AssetKind
    format: AssetFormat
    crs: str | None = None
    bounds: list[float] | None = None
    feature_count: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)


class AssetRegistration(BaseModel):
    """What registering an asset did: a new version, or the existing one with that content."""

    asset_id: str
    version: int
    s3_key: str
    deduplicated: bool
