"""The spatial ETL manifest contract, shared by the sensors that route manifests and the
assets that process them."""

from spatial_manifest.model import (
    DEFAULT_LANDING_BUCKET,
    LEGACY_INTENTS,
    FileEntry,
    FileType,
    Intent,
    JoinConfig,
    Manifest,
    ManifestMetadata,
    TagValue,
    check_object_key,
)
from spatial_manifest.parse import (
    MAX_DEPTH,
    MAX_FILES,
    MAX_MANIFEST_BYTES,
    ManifestError,
    check_size,
    describe_errors,
    load_document,
    parse_manifest,
    raw_batch_id,
    sampled,
    validate_manifest,
)
from spatial_manifest.schema import manifest_json_schema, manifest_json_schema_text

__all__ = [
    "DEFAULT_LANDING_BUCKET",
    "LEGACY_INTENTS",
    "MAX_DEPTH",
    "MAX_FILES",
    "MAX_MANIFEST_BYTES",
    "FileEntry",
    "FileType",
    "Intent",
    "JoinConfig",
    "Manifest",
    "ManifestError",
    "ManifestMetadata",
    "TagValue",
    "check_object_key",
    "check_size",
    "describe_errors",
    "load_document",
    "manifest_json_schema",
    "manifest_json_schema_text",
    "parse_manifest",
    "raw_batch_id",
    "sampled",
    "validate_manifest",
]
