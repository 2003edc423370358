from collections.abc import Iterator

import pytest

from fireant import FireantClient
from report_simulators import (
    DEFAULT_API_KEY,
    FireantSimulator,
    FireantSimulatorOptions,
    serve_in_thread,
)
from resilient_http import RetryEvent, RetryPolicy


@pytest.fixture
def fireant_sim() -> Iterator[tuple[FireantSimulator, str]]:
    """A fresh Fireant simulator over HTTP whose jobs finish after 0.3 s."""
    simulator = FireantSimulator(FireantSimulatorOptions(job_seconds=0.3))
    with serve_in_thread(simulator.app) as url:
        yield simulator, url


@pytest.fixture
def retries() -> list[RetryEvent]:
    return []


@pytest.fixture
def fireant(
    fireant_sim: tuple[FireantSimulator, str], retries: list[RetryEvent]
) -> Iterator[FireantClient]:
    _, url = fireant_sim
    policy = RetryPolicy(
        timeout_seconds=1, max_retries=3, backoff_initial_seconds=0.01, on_retry=retries.append
    )
    with FireantClient(url, DEFAULT_API_KEY, policy=policy) as client:
        yield client
