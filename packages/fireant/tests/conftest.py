from collections.abc import Iterator

import pytest

from fireant import FireantClient
from report_simulators import DEFAULT_API_KEY, FireantSimulator
from report_simulators.testing import fireant_sim  # noqa: F401 (fixture)
from resilient_http import RetryEvent
from resilient_http.testing import fast_policy, retries  # noqa: F401 (fixture)


@pytest.fixture
def fireant(
    fireant_sim: tuple[FireantSimulator, str], retries: list[RetryEvent]
) -> Iterator[FireantClient]:
    _, url = fireant_sim
    with FireantClient(
        url, DEFAULT_API_KEY, policy=fast_policy(retries, timeout_seconds=1)
    ) as client:
        yield client
