"""How often and how long to poll a Fireant job."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PollPolicy:
    """``MAX_POLL_ATTEMPTS`` status calls, ``POLL_INTERVAL_SECONDS`` apart."""

    max_poll_attempts: int = 120
    poll_interval_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.max_poll_attempts < 1:
            raise ValueError(f"max_poll_attempts must be >= 1, got {self.max_poll_attempts}")
        if self.poll_interval_seconds < 0:
            raise ValueError(
                f"poll_interval_seconds must be >= 0, got {self.poll_interval_seconds}"
            )
