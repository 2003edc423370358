"""Injected latency and failures, shared by both simulators.

``fail_next`` makes the next N API requests answer 503 (deterministic, for tests);
``failure_rate`` makes each request answer 503 with that probability; ``latency_seconds``
delays every API request. ``hang_next`` makes the next N requests hang for
``hang_seconds`` (longer than a client's timeout). ``apply_then_fail_next`` and
``apply_then_hang_next`` lose the answer of the next N writing requests (any method but
GET/HEAD): the request is applied, then answered 503, or not answered before
``hang_seconds`` (the client times out), so a client's retry meets a write that already
happened. Control routes (``/_simulator/...``) are never affected.
"""

import asyncio
import os
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_simulator/"


@dataclass
class Faults:
    latency_seconds: float = 0.0
    failure_rate: float = 0.0
    fail_next: int = 0
    hang_next: int = 0
    hang_seconds: float = 30.0
    apply_then_fail_next: int = 0
    apply_then_hang_next: int = 0
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._validate()
        self._random = random.Random(self.seed)

    def _validate(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, got {self.failure_rate}")
        if self.latency_seconds < 0:
            raise ValueError(f"latency_seconds must be >= 0, got {self.latency_seconds}")

    @classmethod
    def from_env(cls, prefix: str, env: Mapping[str, str] | None = None) -> "Faults":
        """``<prefix>_LATENCY_SECONDS``, ``<prefix>_FAILURE_RATE``, ``<prefix>_SEED``."""
        env = os.environ if env is None else env
        seed = env.get(f"{prefix}_SEED")
        return cls(
            latency_seconds=env_number(env, f"{prefix}_LATENCY_SECONDS", 0.0),
            failure_rate=env_number(env, f"{prefix}_FAILURE_RATE", 0.0),
            seed=int(seed) if seed else None,
        )

    def update(self, changes: Mapping[str, Any]) -> None:
        with self._lock:
            for key in ("latency_seconds", "failure_rate", "hang_seconds"):
                if key in changes:
                    setattr(self, key, float(changes[key]))
            for key in ("fail_next", "hang_next", "apply_then_fail_next", "apply_then_hang_next"):
                if key in changes:
                    setattr(self, key, int(changes[key]))
            if "seed" in changes:
                self._random = random.Random(changes["seed"])
            self._validate()

    def decide(self, method: str = "GET") -> str | None:
        """``"fail"``, ``"hang"``, ``"apply_then_fail"``, ``"apply_then_hang"`` or ``None``
        for one request (consumes ``*_next``)."""
        with self._lock:
            if method.upper() not in ("GET", "HEAD"):
                if self.apply_then_hang_next > 0:
                    self.apply_then_hang_next -= 1
                    return "apply_then_hang"
                if self.apply_then_fail_next > 0:
                    self.apply_then_fail_next -= 1
                    return "apply_then_fail"
            if self.hang_next > 0:
                self.hang_next -= 1
                return "hang"
            if self.fail_next > 0:
                self.fail_next -= 1
                return "fail"
            if self.failure_rate and self._random.random() < self.failure_rate:
                return "fail"
        return None


def env_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


class FaultMiddleware:
    """Applies ``faults`` to every request outside ``/_simulator/``."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.faults.latency_seconds:
            await asyncio.sleep(self.faults.latency_seconds)
        outcome = self.faults.decide(scope["method"])
        if outcome in ("apply_then_fail", "apply_then_hang"):
            await self.app(scope, receive, _discard)  # applied; its answer is lost
            if outcome == "apply_then_hang":
                await asyncio.sleep(self.faults.hang_seconds)
            outcome = "fail"
        elif outcome == "hang":
            await asyncio.sleep(self.faults.hang_seconds)
        if outcome == "fail":
            response = JSONResponse({"detail": "simulated failure"}, status_code=503)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _discard(message: Message) -> None:
    """An ASGI ``send`` that drops the response: the client never sees it."""
