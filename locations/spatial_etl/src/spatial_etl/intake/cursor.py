"""The lane sensors' cursor: ``{"v": 1, "processed_keys": [...], "max_keys": 500}``.

It is ``object_feed``'s state in the spec's format: ``processed_keys`` are the feed's settled
keys, in the order the sensor processed them (most recent last), bounded to
``MAX_CURSOR_KEYS``; ``max_keys`` is informational and ignored when read. The legacy
comma-separated cursor and a bare JSON array of keys are read and rewritten in this format.
Forgetting a key is safe: a manifest seen again finds its run in run storage or its claim in
the ledger, so a cursor of an unknown version is set aside (``problem`` says so) rather than
stopping the lane.
"""

import json
from collections.abc import Iterable
from typing import Any

from object_feed import CursorError, FeedState

CURSOR_VERSION = 1
MAX_CURSOR_KEYS = 500


def _unique(keys: Iterable[object]) -> list[str]:
    seen: set[str] = set()
    result = []
    for key in keys:
        if isinstance(key, str) and key.strip() and key not in seen:
            seen.add(key)
            result.append(key)
    return result


class ProcessedKeysCodec:
    """``object_feed`` cursor codec writing the spec's versioned, bounded format."""

    def __init__(self) -> None:
        self.problem: str | None = None
        """Why the last decoded cursor was set aside, if it was."""

    def decode(self, raw: str | None) -> FeedState:
        self.problem = None
        if not raw or not raw.strip():
            return FeedState()
        try:
            data: Any = json.loads(raw)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, list):
            # An older version's bare JSON array of keys.
            return FeedState(settled=_unique(data))
        if not isinstance(data, dict):
            # The legacy format: comma-separated manifest keys.
            return FeedState(settled=_unique(part.strip() for part in raw.split(",")))
        if data.get("v") != CURSOR_VERSION or not isinstance(data.get("processed_keys"), list):
            self.problem = (
                f"the sensor cursor has version {data.get('v')!r}, this code reads version "
                f"{CURSOR_VERSION}: starting from an empty cursor (the ledger and run storage "
                "keep every manifest from being launched twice)"
            )
            return FeedState()
        try:
            return FeedState.from_json(
                {
                    "settled": _unique(data["processed_keys"]),
                    "pending": data.get("pending") or {},
                    "watermark": data.get("watermark"),
                }
            )
        except CursorError as exc:
            self.problem = f"{exc}: starting from an empty cursor"
            return FeedState()

    def encode(self, state: FeedState) -> str:
        fields = state.to_json()
        cursor: dict[str, Any] = {
            "v": CURSOR_VERSION,
            "processed_keys": fields["settled"][-MAX_CURSOR_KEYS:],
            "max_keys": MAX_CURSOR_KEYS,
        }
        for name in ("pending", "watermark"):
            if fields[name]:
                cursor[name] = fields[name]
        return json.dumps(cursor)


def parse_cursor(cursor: str | None) -> list[str]:
    """Processed keys, oldest first, from a v1 JSON cursor or a legacy ``a,b,c`` one."""
    return ProcessedKeysCodec().decode(cursor).settled


def build_cursor(processed_keys: list[str]) -> str:
    """The v1 cursor holding the ``MAX_CURSOR_KEYS`` most recently processed keys."""
    return ProcessedKeysCodec().encode(FeedState(settled=list(processed_keys)))
