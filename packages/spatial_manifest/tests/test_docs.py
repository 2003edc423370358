"""docs/spatial-manifest.md shows the schema the code enforces, and its examples validate."""

import json
import re
from pathlib import Path

from spatial_manifest import Manifest, manifest_json_schema

DOC = Path(__file__).resolve().parents[3] / "docs" / "spatial-manifest.md"


def json_blocks() -> list[dict[str, object]]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)]


def test_the_documented_schema_is_the_current_one() -> None:
    assert json_blocks()[-1] == manifest_json_schema(), (
        "regenerate the JSON Schema section: uv run spatial-manifest schema"
    )


def test_the_documented_examples_are_valid_manifests() -> None:
    examples = json_blocks()[:-1]
    assert [Manifest.model_validate(example).intent for example in examples] == [
        "ingest_vector",
        "join_datasets",
    ]
