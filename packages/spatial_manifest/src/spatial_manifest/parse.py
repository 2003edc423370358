"""Bytes from the landing bucket to a ``Manifest``, or a ``ManifestError`` that says why."""

import json
import re
from collections import Counter
from typing import Any

from pydantic import ValidationError

from spatial_manifest.model import DEFAULT_LANDING_BUCKET, IDENTIFIER_PATTERN, Manifest

_MAX_SHOWN = 80

MAX_MANIFEST_BYTES = 16 * 1024 * 1024
"""Largest manifest read: a 50,000-file manifest is about 5 MB."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects; the contract itself needs 4."""
MAX_FILES = 50_000
"""Most ``files`` one manifest may list."""


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


def check_size(size: int, manifest_key: str) -> None:
    """Refuse a manifest bigger than ``MAX_MANIFEST_BYTES`` (before reading it, when the
    listing gives its size)."""
    if size > MAX_MANIFEST_BYTES:
        raise ManifestError(
            manifest_key,
            f"is {size} bytes, more than the {MAX_MANIFEST_BYTES} a manifest may be; "
            "split the batch into several manifests",
        )


def nesting_depth(document: Any, limit: int = MAX_DEPTH) -> int:
    """Depth of nested arrays and objects of parsed JSON, walked a level at a time without
    recursion and never more than ``limit`` + 1 levels down (a 20,000-file manifest costs
    ~10 ms: only containers are kept, found by exact type as ``json.loads`` makes them)."""
    level: list[Any] = [document] if type(document) in (dict, list) else []
    depth = 0
    while level and depth <= limit:
        depth += 1
        inner: list[Any] = []
        for value in level:
            for child in value.values() if type(value) is dict else value:
                if type(child) is dict or type(child) is list:
                    inner.append(child)
        level = inner
    return depth


def load_document(raw: bytes | str, manifest_key: str) -> dict[str, Any]:
    """Decode and parse the JSON object, or raise ``ManifestError``.

    A UTF-8 byte order mark before the JSON is skipped (RFC 8259 lets parsers ignore it);
    size and nesting are bounded so that no document can exhaust the reader.
    """
    check_size(len(raw), manifest_key)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ManifestError(
                manifest_key, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8 JSON"
            ) from None
    too_deep = ManifestError(
        manifest_key, f"is nested deeper than {MAX_DEPTH} levels of arrays and objects"
    )
    try:
        document = json.loads(raw.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ManifestError(
            manifest_key,
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except RecursionError:
        raise too_deep from None
    if not isinstance(document, dict):
        raise ManifestError(
            manifest_key, f"must be a JSON object, got a JSON {type(document).__name__}"
        )
    if nesting_depth(document) > MAX_DEPTH:
        too_deep.batch_id = raw_batch_id(document)
        raise too_deep
    return document


def sampled(items: list[Any], count: int) -> list[Any]:
    """At most ``count`` items, evenly spread, the first and the last included."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def validate_manifest(
    document: dict[str, Any],
    manifest_key: str,
    landing_bucket: str = DEFAULT_LANDING_BUCKET,
    files_sample: int | None = None,
) -> Manifest:
    """Validate a parsed document against the schema, or raise ``ManifestError``.

    With ``files_sample``, only that many of the files (evenly spread) are validated, and
    the returned manifest holds those: a bounded check for a sensor tick, whose run
    validates the whole document again. Duplicate paths are still found among all files.
    """
    files = document.get("files")
    if isinstance(files, list) and len(files) > MAX_FILES:
        raise ManifestError(
            manifest_key,
            f"files: {len(files)} entries, more than the {MAX_FILES} one manifest may list; "
            "split the batch into several manifests",
            raw_batch_id(document),
        )
    if files_sample is not None and isinstance(files, list) and len(files) > files_sample:
        paths = [entry.get("path") for entry in files if isinstance(entry, dict)]
        doubled = sorted({p for p, n in Counter(paths).items() if n > 1 and isinstance(p, str)})
        if doubled:
            raise ManifestError(
                manifest_key, f"files: duplicate paths {doubled[:10]}", raw_batch_id(document)
            )
        document = {**document, "files": sampled(files, files_sample)}
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
