from collections.abc import Iterator

import pytest

from django_api import DjangoAPIClient
from report_simulators import DEFAULT_PASSWORD, DEFAULT_USERNAME, DjangoSimulator
from report_simulators.testing import django_sim  # noqa: F401 (fixture)
from resilient_http import RetryEvent
from resilient_http.testing import fast_policy, retries  # noqa: F401 (fixture)


@pytest.fixture
def api(
    django_sim: tuple[DjangoSimulator, str], retries: list[RetryEvent]
) -> Iterator[DjangoAPIClient]:
    """A client logged in with the simulator's username and password; fast backoff."""
    _, url = django_sim
    with DjangoAPIClient(
        url,
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        policy=fast_policy(retries, timeout_seconds=2),
        page_size=4,
    ) as client:
        yield client
