"""The manifest an uploader drops under ``landing-zone/manifests/``.

The contract is the one existing uploaders already write (``FileEntry`` ``path``/``type``/
``format``, ``metadata.project``/``description``/``tags``/``join_config``), with the join
config's spec spelling (``spatial_asset_id``/``tabular_asset_id``) as the canonical one and the
older ``spatial_dataset_id``/``tabular_dataset_id`` still accepted.
"""

import re
import uuid
from collections import Counter
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

DEFAULT_LANDING_BUCKET = "landing-zone"
"""Bucket a manifest's files must live in unless the validation context names another."""

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
"""``batch_id`` and ``dataset_id``: they become run keys, tags and partition keys."""

INTENT_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_DATASET_NAMESPACE = uuid.UUID("6f1c2a52-8a8e-4d2b-9a59-0d8f4c1e7b10")


class Intent(StrEnum):
    """Intents the platform routes out of the box; a YAML lane can route more."""

    INGEST_VECTOR = "ingest_vector"
    INGEST_RASTER = "ingest_raster"
    INGEST_TABULAR = "ingest_tabular"
    JOIN_DATASETS = "join_datasets"
    # Legacy forms: vector recipes of the op-based ingest_job.
    INGEST_BUILDING_FOOTPRINTS = "ingest_building_footprints"
    INGEST_ROAD_NETWORK = "ingest_road_network"


LEGACY_INTENTS = frozenset({Intent.INGEST_BUILDING_FOOTPRINTS, Intent.INGEST_ROAD_NETWORK})


class FileType(StrEnum):
    RASTER = "raster"
    VECTOR = "vector"
    TABULAR = "tabular"


TagValue = str | int | float | bool

_FILE_TYPE_OF_INTENT: dict[str, FileType] = {
    Intent.INGEST_TABULAR: FileType.TABULAR,
    Intent.INGEST_VECTOR: FileType.VECTOR,
    Intent.INGEST_RASTER: FileType.RASTER,
}


def _landing_bucket(info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("landing_bucket", DEFAULT_LANDING_BUCKET))


def check_object_key(key: str) -> str:
    """Reject a key that could resolve outside its bucket prefix (``..``, ``//``, ``\\``)."""
    if not key:
        raise ValueError("the object key is empty")
    if key.startswith("/"):
        raise ValueError(f"object key {key!r} is absolute")
    if "\\" in key:
        raise ValueError(f"object key {key!r} contains a backslash")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ValueError(f"object key {key!r} contains a control character")
    lowered = key.lower()
    for encoded in ("%2e", "%2f", "%5c"):
        if encoded in lowered:
            raise ValueError(f"object key {key!r} contains the encoded character {encoded!r}")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"object key {key!r} has a {segment or 'empty'!r} path segment")
    return key


class FileEntry(BaseModel):
    """One input file: ``s3://<landing bucket>/<key>`` (the ``s3://`` prefix is optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(
        description="S3 path of the file in the landing bucket, e.g. "
        "s3://landing-zone/batch_001/parcels.gpkg; `..`, empty or encoded segments are rejected",
        examples=["s3://landing-zone/batch_001/parcels.gpkg"],
    )
    type: FileType = Field(description="raster, vector or tabular")
    format: str = Field(
        min_length=1,
        max_length=32,
        description="Input format (GDAL driver or file kind): GTiff, GPKG, GeoJSON, SHP, CSV, ...",
    )

    @field_validator("path", mode="before")
    @classmethod
    def _normalise_path(cls, value: Any, info: ValidationInfo) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, got {type(value).__name__}")
        raw = value.strip()
        bare = raw.removeprefix("s3://")
        bucket, _, key = bare.partition("/")
        expected = _landing_bucket(info)
        if not _BUCKET.match(bucket):
            raise ValueError(f"does not start with a bucket name (s3://{expected}/...)")
        if bucket != expected:
            raise ValueError(f"is outside the landing bucket {expected!r}")
        check_object_key(key)
        return f"s3://{bucket}/{key}"

    @property
    def bucket(self) -> str:
        return self.path.removeprefix("s3://").partition("/")[0]

    @property
    def key(self) -> str:
        return self.path.removeprefix("s3://").partition("/")[2]


_JOIN_SPELLINGS = {
    "spatial_dataset_id": "spatial_asset_id",
    "tabular_dataset_id": "tabular_asset_id",
}


class JoinConfig(BaseModel):
    """Which existing spatial and tabular assets to join, and on which columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spatial_asset_id: str = Field(
        pattern=IDENTIFIER_PATTERN,
        description="dataset_id of the spatial asset (geometry source); "
        "`spatial_dataset_id` is accepted as the same field",
    )
    tabular_asset_id: str = Field(
        pattern=IDENTIFIER_PATTERN,
        description="dataset_id of the tabular asset (attribute source); "
        "`tabular_dataset_id` is accepted as the same field",
    )
    spatial_version: int | None = Field(None, ge=1, description="Spatial version; latest if null")
    tabular_version: int | None = Field(None, ge=1, description="Tabular version; latest if null")
    left_key: str = Field(min_length=1, description="Join column in the tabular asset")
    right_key: str | None = Field(
        None, min_length=1, description="Join column in the spatial asset; left_key if null"
    )
    how: Literal["left", "inner", "right", "outer"] = Field("left", description="Join strategy")

    @model_validator(mode="before")
    @classmethod
    def _accept_dataset_spelling(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for legacy, canonical in _JOIN_SPELLINGS.items():
            if legacy not in data:
                continue
            value = data.pop(legacy)
            if canonical in data and data[canonical] != value:
                raise ValueError(
                    f"{canonical}={data[canonical]!r} and {legacy}={value!r} disagree: "
                    f"give one of them"
                )
            data[canonical] = value
        return data

    @property
    def spatial_key(self) -> str:
        return self.right_key or self.left_key


class ManifestMetadata(BaseModel):
    """What the uploader says about the data; ``tags.dataset_id`` picks the partition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str | None = Field(None, description="Project the data belongs to")
    description: str | None = Field(None, description="Free-text description")
    tags: dict[str, TagValue] = Field(
        default_factory=dict,
        description="Queryable tags (str/int/float/bool); `dataset_id` names the dataset "
        "(the asset partition) and must match " + IDENTIFIER_PATTERN,
    )
    join_config: JoinConfig | None = Field(None, description="Required for join_datasets")
    title: str | None = Field(None, description="Human-readable title")
    keywords: list[str] = Field(default_factory=list, description="Discovery keywords")
    source: str | None = Field(None, description="Provenance statement")
    license: str | None = Field(None, description="License identifier or statement")
    attribution: str | None = Field(None, description="Credit statement")

    @field_validator("tags")
    @classmethod
    def _dataset_id_is_an_identifier(cls, tags: dict[str, TagValue]) -> dict[str, TagValue]:
        if "dataset_id" in tags:
            value = tags["dataset_id"]
            if not isinstance(value, str) or not re.match(IDENTIFIER_PATTERN, value):
                raise ValueError(
                    f"dataset_id={value!r} must be a string matching {IDENTIFIER_PATTERN}"
                )
        return tags


class Manifest(BaseModel):
    """The input contract. Frozen: ``batch_id`` is immutable and names the batch everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_id: str = Field(
        pattern=IDENTIFIER_PATTERN,
        description="Globally unique, immutable batch identifier (run key `{lane}:{batch_id}`)",
    )
    uploader: str = Field(min_length=1, max_length=256, description="Who uploaded the batch")
    intent: str = Field(
        pattern=INTENT_PATTERN,
        description="Processing intent; routes the manifest to one lane "
        "(ingest_vector, ingest_raster, ingest_tabular, join_datasets, "
        "ingest_building_footprints, ingest_road_network, or one a YAML lane routes)",
    )
    files: list[FileEntry] = Field(
        default_factory=list, description="Input files; empty for join_datasets"
    )
    metadata: ManifestMetadata = Field(description="Uploader metadata")

    @model_validator(mode="after")
    def _files_match_intent(self) -> Self:
        paths = [entry.path for entry in self.files]
        duplicates = sorted(path for path, count in Counter(paths).items() if count > 1)
        if duplicates:
            raise ValueError(f"files: duplicate paths {duplicates}")
        kinds = {entry.type for entry in self.files}
        if self.intent == Intent.JOIN_DATASETS:
            if self.files:
                raise ValueError(
                    f"files: intent 'join_datasets' takes no files (got {len(paths)}); "
                    "name existing assets in metadata.join_config"
                )
            if self.metadata.join_config is None:
                raise ValueError(
                    "metadata.join_config: required for intent 'join_datasets' "
                    "(spatial_asset_id, tabular_asset_id, left_key)"
                )
            return self
        if not self.files:
            raise ValueError(f"files: intent {self.intent!r} needs at least one file")
        required = _FILE_TYPE_OF_INTENT.get(self.intent)
        if required is not None:
            wrong = [e.path for e in self.files if e.type != required]
            if wrong:
                raise ValueError(
                    f"files: intent {self.intent!r} takes only {required.value!r} files; "
                    f"got other types for {wrong}"
                )
        elif FileType.TABULAR in kinds:
            raise ValueError(
                f"files: intent {self.intent!r} cannot take tabular files; "
                "use 'ingest_tabular' or 'join_datasets'"
            )
        return self

    @property
    def dataset_id(self) -> str:
        """``metadata.tags.dataset_id``, else ``dataset_{12 hex}`` derived from the batch.

        Derived, not random, so a tick that re-plans the same manifest picks the same
        partition.
        """
        given = self.metadata.tags.get("dataset_id")
        if isinstance(given, str):
            return given
        return f"dataset_{uuid.uuid5(_DATASET_NAMESPACE, self.batch_id).hex[:12]}"
