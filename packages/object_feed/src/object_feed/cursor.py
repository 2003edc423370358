"""The feed's state and how it is written into a sensor cursor.

The state is small and bounded: a low watermark (every key at or below it is settled), the
settled keys above it (most recently settled last), and the objects still pending (requested,
running, or waiting for a retry). A location picks the text format with a ``CursorCodec``.
"""

import json
from dataclasses import dataclass, field
from typing import Any, Protocol


class CursorError(ValueError):
    """A cursor that no codec version understands."""


@dataclass
class PendingObject:
    """An object whose outcome is not settled yet.

    ``run_key`` is the run key of its current attempt (``None`` when building the request
    itself failed); ``retry_at`` is the epoch second after which the next attempt may start,
    set once the current attempt has failed.
    """

    version: str
    attempt: int
    run_key: str | None
    retry_at: float | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": self.version, "attempt": self.attempt}
        if self.run_key is not None:
            data["run_key"] = self.run_key
        if self.retry_at is not None:
            data["retry_at"] = self.retry_at
        if self.error is not None:
            data["error"] = self.error
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PendingObject":
        return cls(
            version=str(data["version"]),
            attempt=int(data["attempt"]),
            run_key=data.get("run_key"),
            retry_at=data.get("retry_at"),
            error=data.get("error"),
        )


@dataclass
class FeedState:
    """Everything the planner remembers between ticks.

    The sweep fields follow the pass over the keys below the watermark that finds objects
    named there after the watermark passed (a file re-delivered as ``...-fixed.csv``):
    ``sweep_after`` is where the pass continues, ``sweep_started`` when it began, and
    ``sweep_since`` the update time from which an object it meets may be new.
    """

    watermark: str | None = None
    settled: list[str] = field(default_factory=list)
    pending: dict[str, PendingObject] = field(default_factory=dict)
    sweep_after: str | None = None
    sweep_started: float | None = None
    sweep_since: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The state as JSON-ready fields, for codecs that embed it in their own format."""
        data: dict[str, Any] = {
            "watermark": self.watermark,
            "settled": list(self.settled),
            "pending": {key: item.to_json() for key, item in self.pending.items()},
        }
        if self.sweep_started is not None:
            data["sweep"] = {
                "after": self.sweep_after,
                "started": self.sweep_started,
                "since": self.sweep_since,
            }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FeedState":
        try:
            sweep = data.get("sweep") or {}
            return cls(
                sweep_after=sweep.get("after"),
                sweep_started=sweep.get("started"),
                sweep_since=sweep.get("since"),
                watermark=data.get("watermark"),
                settled=[str(key) for key in data.get("settled", [])],
                pending={
                    str(key): PendingObject.from_json(item)
                    for key, item in (data.get("pending") or {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CursorError(f"feed cursor has a malformed field: {exc!r}") from None


class CursorCodec(Protocol):
    """Turns a ``FeedState`` into a sensor cursor string and back.

    ``decode(None)`` (a sensor's first tick) returns an empty state. A codec may migrate
    older formats in ``decode``; ``encode`` always writes the current one.
    """

    def decode(self, raw: str | None) -> FeedState: ...

    def encode(self, state: FeedState) -> str: ...


class JsonCursorCodec:
    """The default format: ``{"v": 1, "watermark": ..., "settled": [...], "pending": {...}}``."""

    VERSION = 1

    def decode(self, raw: str | None) -> FeedState:
        if not raw:
            return FeedState()
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            raise CursorError(f"feed cursor is not JSON: {raw[:80]!r}") from None
        if not isinstance(data, dict) or data.get("v") != self.VERSION:
            raise CursorError(f"feed cursor has an unknown version: {raw[:80]!r}")
        return FeedState.from_json(data)

    def encode(self, state: FeedState) -> str:
        return json.dumps({"v": self.VERSION, **state.to_json()}, separators=(",", ":"))
