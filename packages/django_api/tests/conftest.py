from collections.abc import Iterator

import pytest

from django_api import DjangoAPIClient
from report_simulators import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DjangoSimulator,
    DjangoSimulatorOptions,
    serve_in_thread,
)
from resilient_http import RetryEvent, RetryPolicy


@pytest.fixture
def django_sim() -> Iterator[tuple[DjangoSimulator, str]]:
    """A fresh Django API simulator over HTTP, with the sample catalogue."""
    simulator = DjangoSimulator(DjangoSimulatorOptions(default_page_size=5))
    with serve_in_thread(simulator.app) as url:
        yield simulator, url


@pytest.fixture
def retries() -> list[RetryEvent]:
    return []


@pytest.fixture
def api(
    django_sim: tuple[DjangoSimulator, str], retries: list[RetryEvent]
) -> Iterator[DjangoAPIClient]:
    """A client logged in with the simulator's username and password; fast backoff."""
    _, url = django_sim
    policy = RetryPolicy(
        timeout_seconds=2, max_retries=3, backoff_initial_seconds=0.01, on_retry=retries.append
    )
    with DjangoAPIClient(
        url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, policy=policy, page_size=4
    ) as client:
        yield client
