import re
from pathlib import Path

import pytest

from retry_advisor import (
    RULES,
    Advice,
    Decision,
    FailureContext,
    RuleBasedAdvisor,
    strip_analysis_prefix,
)

README = Path(__file__).resolve().parents[1] / "README.md"


def advise(error: str, retry_count: int = 0) -> Advice:
    return RuleBasedAdvisor().advise(FailureContext(error_message=error, retry_count=retry_count))


@pytest.mark.parametrize(
    ("error", "category"),
    [
        ('relation "public.orders" does not exist', "permanent:missing_object"),
        (
            "[TABLE_OR_VIEW_NOT_FOUND] The table or view `bronze`.`x` cannot be found",
            "permanent:missing_object",
        ),
        ('column "updated_at" does not exist', "permanent:missing_object"),
        ('FATAL: password authentication failed for user "loader"', "permanent:access"),
        ("PERMISSION_DENIED: User does not have USE CATALOG on bronze", "permanent:access"),
        ("db_type 'oracle9' is not supported for local loads", "permanent:configuration"),
        ("db_config_value is missing 'host'", "permanent:configuration"),
        ('syntax error at or near "FROM"', "permanent:syntax"),
        ('invalid input syntax for type integer: "abc"', "permanent:data"),
        ("[DELTA_FAILED_TO_MERGE_FIELDS] schema mismatch detected", "permanent:data"),
    ],
)
def test_permanent_errors_require_review(error: str, category: str) -> None:
    advice = advise(error)
    assert (advice.decision, advice.category) == (Decision.REVIEW, category)
    assert advice.confidence >= 0.85 and advice.advisor == "rules"


@pytest.mark.parametrize(
    ("error", "category"),
    [
        (
            'connection to server at "10.1.2.3", port 5432 failed: Connection refused',
            "transient:connection",
        ),
        ("server closed the connection unexpectedly", "transient:connection"),
        ("java.net.SocketTimeoutException: Read timed out", "transient:timeout"),
        ("Cancelled - stuck in queue for >60 minutes", "transient:timeout"),
        ("Cancelled - exceeded 180 minute timeout", "transient:timeout"),
        ("FATAL: sorry, too many connections for role", "transient:contention"),
        ("deadlock detected", "transient:contention"),
        ("Cluster 0123-abc was terminated. Reason: SPOT_INSTANCE_TERMINATION", "transient:cluster"),
        ("HTTP 503 Service Unavailable", "transient:throttling"),
        ("429 Too Many Requests: rate limit exceeded", "transient:throttling"),
        ("java.lang.OutOfMemoryError: out of memory", "transient:resources"),
    ],
)
def test_transient_errors_are_retried(error: str, category: str) -> None:
    advice = advise(error)
    assert (advice.decision, advice.category) == (Decision.RETRY, category)


def test_permanent_wins_over_transient_words() -> None:
    advice = advise('relation "x" does not exist (after connection timed out once)')
    assert advice.decision is Decision.REVIEW


def test_exhausted_retries_always_require_review() -> None:
    advice = advise("connection refused", retry_count=3)
    assert (advice.decision, advice.category, advice.confidence) == (
        Decision.REVIEW,
        "exhausted",
        1.0,
    )


def test_unknown_errors_go_to_review_with_low_confidence() -> None:
    advice = advise("something odd happened")
    assert (advice.decision, advice.category, advice.confidence) == (
        Decision.REVIEW,
        "unknown",
        0.5,
    )


def test_messages_carry_the_spec_prefixes() -> None:
    assert advise("deadlock detected").message().startswith("[AI Analysis - Retry Recommended] ")
    assert advise("permission denied").message().startswith("[AI Analysis - Requires Review] ")


def test_earlier_analysis_prefixes_are_stripped() -> None:
    stacked = "[AI Analysis - Retry Recommended] [AI Analysis - Requires Review] deadlock detected"
    assert strip_analysis_prefix(stacked) == "deadlock detected"
    assert advise(stacked).category == "transient:contention"


def test_readme_lists_exactly_the_rules() -> None:
    rows = [line for line in README.read_text().splitlines() if re.match(r"^\| \d+ \|", line)]
    documented = [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]
    expected = [
        [
            str(i),
            f"`{r.category}`",
            "`" + r.pattern.replace("|", "\\|") + "`",
            r.decision.value,
            str(r.confidence),
        ]
        for i, r in enumerate(RULES, 1)
    ]
    assert documented == expected
