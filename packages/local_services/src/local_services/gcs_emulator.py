"""The GCS emulator, answering object listings with GCS's paging and offset parameters.

gcp-storage-emulator answers ``objects.list`` with every object at once. Real GCS honours
``startOffset``, ``endOffset``, ``maxResults`` and ``pageToken``; a client that lists after a
cursor relies on them. This entry point applies them to the emulator's answer, so such a
client transfers (and parses) the same objects it would from GCS. Run it like the emulator:
``python -m local_services.gcs_emulator start --host ... --port ...``.
"""

import base64
import runpy
from typing import Any

from gcp_storage_emulator.handlers import objects

DEFAULT_MAX_RESULTS = 1000
_emulator_ls = objects.ls


class _Captured:
    """Stands in for the emulator's response to catch the listing it would send."""

    def __init__(self, response: Any) -> None:
        object.__setattr__(self, "_response", response)
        object.__setattr__(self, "body", None)

    def json(self, body: dict[str, Any]) -> None:
        object.__setattr__(self, "body", body)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._response, name, value)


def _param(request: Any, name: str) -> str | None:
    values = request.query.get(name)
    return values[0] if values else None


def _token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _plain_listing(request: Any, storage: Any) -> list[dict[str, Any]] | None:
    """Live objects by prefix without building and sorting the whole bucket first.

    ``None`` for listings this shortcut does not cover (delimiter, glob, soft-deleted, an
    unknown bucket): the emulator answers those itself.
    """
    if any(_param(request, name) for name in ("delimiter", "matchGlob", "softDeleted")):
        return None
    bucket = request.params["bucket_name"]
    if bucket not in storage.buckets:
        return None
    prefix = _param(request, "prefix") or ""
    start = _param(request, "startOffset") or ""
    page_token = _param(request, "pageToken")
    after = base64.urlsafe_b64decode(page_token).decode() if page_token else None
    names = [
        name
        for name in storage.objects.get(bucket, {})
        if name.startswith(prefix) and name >= start and (after is None or name > after)
    ]
    objects_by_name = storage.objects[bucket] if names else {}
    return [objects_by_name[name] for name in sorted(names)]


def list_objects(request: Any, response: Any, storage: Any, *args: Any, **kwargs: Any) -> None:
    items = _plain_listing(request, storage)
    body: dict[str, Any] = {"kind": "storage#objects", "prefixes": []}
    if items is None:
        captured = _Captured(response)
        _emulator_ls(request, captured, storage, *args, **kwargs)
        if captured.body is None:
            return
        body = captured.body
        start = _param(request, "startOffset")
        page_token = _param(request, "pageToken")
        after = base64.urlsafe_b64decode(page_token).decode() if page_token else None
        items = [
            item
            for item in body.get("items", [])
            if (start is None or item["name"] >= start) and (after is None or item["name"] > after)
        ]
    end = _param(request, "endOffset")
    if end is not None:
        items = [item for item in items if item["name"] < end]
    limit = int(_param(request, "maxResults") or DEFAULT_MAX_RESULTS)
    body = {**body, "items": items[:limit]}
    if len(items) > limit:
        body["nextPageToken"] = _token(items[limit - 1]["name"])
    response.json(body)


if __name__ == "__main__":
    objects.ls = list_objects  # before the emulator's server module builds its routes
    runpy.run_module("gcp_storage_emulator", run_name="__main__", alter_sys=True)
