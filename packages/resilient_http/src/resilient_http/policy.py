"""How long to wait for a call and how to back off between attempts."""

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)


@dataclass(frozen=True)
class RetryEvent:
    """One failed attempt that will be retried after ``wait_seconds``."""

    endpoint: str
    attempt: int
    max_attempts: int
    wait_seconds: float
    reason: str


@dataclass(frozen=True)
class RetryPolicy:
    """``TIMEOUT_SECONDS`` per attempt and ``MAX_RETRIES`` retries after the first attempt.

    The n-th retry waits ``backoff_initial_seconds * 2**(n-1)`` seconds, capped at
    ``backoff_max_seconds``. ``on_retry`` sees each retry before its wait (for logging).
    """

    timeout_seconds: float = 30.0
    max_retries: int = 3
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    on_retry: Callable[[RetryEvent], None] | None = None

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0:
            raise ValueError(f"timeout_seconds must be > 0, got {self.timeout_seconds}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        for name in ("backoff_initial_seconds", "backoff_max_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def retrying(
        self,
        retry_on: type[BaseException],
        before_sleep: Callable[[RetryCallState], None] | None = None,
    ) -> Retrying:
        """A tenacity ``Retrying`` of this policy: ``retry_on`` errors, bounded exponential waits."""
        return Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(
                multiplier=self.backoff_initial_seconds,
                min=self.backoff_initial_seconds,
                max=self.backoff_max_seconds,
            ),
            retry=retry_if_exception_type(retry_on),
            before_sleep=before_sleep,
            reraise=True,
        )
