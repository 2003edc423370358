"""Bytes from the landing bucket to a ``Manifest``, or a ``ManifestError`` that says why."""

import json
import re
from typing import Any

from pydantic import ValidationError

from spatial_manifest.model import DEFAULT_LANDING_BUCKET, IDENTIFIER_PATTERN, Manifest

_MAX_SHOWN = 80


class ManifestError(ValueError):
    """A manifest that cannot be processed; ``reason`` names the field and value at fault.

    ``batch_id`` is the document's own ``batch_id`` when it has a usable one, so the ledger
    can record the failure under the batch the uploader meant.
    """

    def __init__(self, manifest_key: str, reason: str, batch_id: str | None = None) -> None:
        super().__init__(f"manifest {manifest_key}: {reason}")
        self.manifest_key = manifest_key
        self.reason = reason
        self.batch_id = batch_id


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def describe_errors(exc: ValidationError) -> str:
    """One line per problem: ``<dotted field>: <message> (got <value>)``."""
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "<document>"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] in ("missing", "model_attributes_type"):
            problems.append(f"{field}: {message}")
        else:
            problems.append(f"{field}: {message} (got {_shown(error['input'])})")
    return "; ".join(problems)


def raw_batch_id(document: Any) -> str | None:
    """The document's ``batch_id`` if it is a usable identifier, even when the rest is not."""
    if isinstance(document, dict):
        value = document.get("batch_id")
        if isinstance(value, str) and re.match(IDENTIFIER_PATTERN, value):
            return value
    return None


def load_document(raw: bytes | str, manifest_key: str) -> dict[str, Any]:
    """Decode and parse the JSON object, or raise ``ManifestError``."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestError(
                manifest_key, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8 JSON"
            ) from None
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            manifest_key,
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    if not isinstance(document, dict):
        raise ManifestError(
            manifest_key, f"must be a JSON object, got a JSON {type(document).__name__}"
        )
    return document


def validate_manifest(
    document: dict[str, Any],
    manifest_key: str,
    landing_bucket: str = DEFAULT_LANDING_BUCKET,
) -> Manifest:
    """Validate a parsed document against the schema, or raise ``ManifestError``."""
    try:
        return Manifest.model_validate(document, context={"landing_bucket": landing_bucket})
    except ValidationError as exc:
        raise ManifestError(manifest_key, describe_errors(exc), raw_batch_id(document)) from None


def parse_manifest(
    raw: bytes | str,
    manifest_key: str,
    landing_bucket: str = DEFAULT_LANDING_BUCKET,
) -> Manifest:
    """``load_document`` then ``validate_manifest``."""
    return validate_manifest(load_document(raw, manifest_key), manifest_key, landing_bucket)
