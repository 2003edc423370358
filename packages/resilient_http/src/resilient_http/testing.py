"""pytest fixtures for clients built on resilient_http. A test suite's conftest imports the
ones it uses (``from resilient_http.testing import retries``)."""

import pytest

from resilient_http.policy import RetryEvent, RetryPolicy


@pytest.fixture
def retries() -> list[RetryEvent]:
    """Every retry the policy of :func:`fast_policy` makes, in order."""
    return []


def fast_policy(retries: list[RetryEvent], timeout_seconds: float) -> RetryPolicy:
    """Three retries with 10 ms initial backoff, each recorded in ``retries``."""
    return RetryPolicy(
        timeout_seconds=timeout_seconds,
        max_retries=3,
        backoff_initial_seconds=0.01,
        on_retry=retries.append,
    )
