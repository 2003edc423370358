"""The retry-analysis contract: a decision, how sure, why, and who decided."""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Decision(StrEnum):
    RETRY = "Retry Recommended"
    REVIEW = "Requires Review"


MESSAGE_PREFIXES: dict[Decision, str] = {
    decision: f"[AI Analysis - {decision.value}]" for decision in Decision
}
_PREFIX = re.compile(r"^(\s*\[AI Analysis - [^\]]*\]\s*)+")


@dataclass(frozen=True)
class FailureContext:
    """What the advisor knows about a failed load."""

    error_message: str
    retry_count: int
    max_retries: int = 3
    control_key: str = ""
    db_type: str = ""
    load_strategy: str = ""

    @property
    def retries_exhausted(self) -> bool:
        return self.retry_count >= self.max_retries


@dataclass(frozen=True)
class Advice:
    decision: Decision
    confidence: float
    category: str
    reason: str
    advisor: str

    def message(self) -> str:
        """The ``last_status_message`` for the table: the spec's prefix, then the reason."""
        return (
            f"{MESSAGE_PREFIXES[self.decision]} {self.reason} "
            f"(confidence {self.confidence:.2f}, {self.advisor})"
        )


class RetryAdvisor(Protocol):
    def advise(self, failure: FailureContext) -> Advice: ...


def strip_analysis_prefix(message: str) -> str:
    """The error without earlier analysis prefixes, so re-analysis never stacks them."""
    return _PREFIX.sub("", message)


def exhausted(failure: FailureContext, advisor: str) -> Advice:
    """The answer once retries are used up, whoever the advisor is."""
    return Advice(
        Decision.REVIEW,
        1.0,
        "exhausted",
        f"{failure.retry_count} of {failure.max_retries} retries are used up; a person must look",
        advisor,
    )
