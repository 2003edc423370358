"""The manifest's JSON Schema, for uploaders that validate before they upload."""

import json
from typing import Any

from spatial_manifest.model import Manifest

SCHEMA_ID = "https://schemas.spatial-etl.local/manifest/v1.json"


def manifest_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the canonical manifest."""
    schema = Manifest.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def manifest_json_schema_text() -> str:
    return json.dumps(manifest_json_schema(), indent=2, sort_keys=True) + "\n"
