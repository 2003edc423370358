"""The local advisor: ordered regular expressions that tell transient from permanent errors.

Permanent failures come first: a retry cannot fix a missing table or a wrong password, so
they go to review even when the text also mentions a timeout. The table below is the
documentation (README.md repeats it, and a test keeps the two equal).
"""

import re
from dataclasses import dataclass

from retry_advisor.decision import (
    Advice,
    Decision,
    FailureContext,
    exhausted,
    strip_analysis_prefix,
)


@dataclass(frozen=True)
class Rule:
    category: str
    pattern: str
    decision: Decision
    confidence: float


RULES: tuple[Rule, ...] = (
    Rule(
        "permanent:missing_object",
        r"does not exist|not[_ ]found|cannot be found|no such table|unknown table",
        Decision.REVIEW,
        0.95,
    ),
    Rule(
        "permanent:missing_column",
        r"column .* (does not exist|not found)|unknown column|invalid column",
        Decision.REVIEW,
        0.95,
    ),
    Rule(
        "permanent:access",
        r"permission[_ ]denied|password authentication failed|access denied|unauthori[sz]ed|\b403\b|forbidden",
        Decision.REVIEW,
        0.95,
    ),
    Rule(
        "permanent:configuration",
        r"not supported|invalid db_config|db_config_value is missing|missing '[^']+'|not a plain identifier|not a valid identifier",
        Decision.REVIEW,
        0.9,
    ),
    Rule("permanent:syntax", r"syntax error|invalid identifier|invalid name", Decision.REVIEW, 0.9),
    Rule(
        "permanent:data",
        r"invalid input syntax|out of range|schema mismatch|cannot cast|type mismatch|numeric field overflow",
        Decision.REVIEW,
        0.85,
    ),
    Rule(
        "transient:connection",
        r"connection (refused|reset|closed)|could not connect|server closed the connection|broken pipe|network is unreachable|name or service not known|temporary failure in name resolution",
        Decision.RETRY,
        0.9,
    ),
    Rule(
        "transient:timeout",
        r"timed? ?out|timeout|exceeded \d+ minute timeout|stuck in queue",
        Decision.RETRY,
        0.85,
    ),
    Rule(
        "transient:contention",
        r"too many connections|deadlock|serialization failure|could not serialize|lock timeout|canceling statement due to conflict",
        Decision.RETRY,
        0.85,
    ),
    Rule(
        "transient:cluster",
        r"cluster\b.*\b(terminated|is not running)|spot[_ ]instance|instance (was )?preempted|executor lost|driver (is )?(down|unavailable)",
        Decision.RETRY,
        0.85,
    ),
    Rule(
        "transient:throttling",
        r"\b(429|502|503|504)\b|rate limit|too many requests|temporarily unavailable|service unavailable|bad gateway",
        Decision.RETRY,
        0.85,
    ),
    Rule(
        "transient:resources",
        r"out of memory|\boom\b|no space left|disk full|memory limit",
        Decision.RETRY,
        0.7,
    ),
)

_COMPILED = tuple((rule, re.compile(rule.pattern, re.IGNORECASE)) for rule in RULES)


class RuleBasedAdvisor:
    """Deterministic and offline: the first matching rule decides; no match means review."""

    name = "rules"

    def advise(self, failure: FailureContext) -> Advice:
        if failure.retries_exhausted:
            return exhausted(failure, self.name)
        error = strip_analysis_prefix(failure.error_message)
        for rule, pattern in _COMPILED:
            if match := pattern.search(error):
                kind = "transient" if rule.decision is Decision.RETRY else "permanent"
                action = (
                    "a retry should succeed"
                    if rule.decision is Decision.RETRY
                    else "a retry will fail the same way"
                )
                reason = (
                    f"{kind} error ({rule.category.split(':')[1]}: '{match.group(0)}'); {action}"
                )
                return Advice(rule.decision, rule.confidence, rule.category, reason, self.name)
        return Advice(
            Decision.REVIEW,
            0.5,
            "unknown",
            "no rule recognises this error; a person should decide",
            self.name,
        )
