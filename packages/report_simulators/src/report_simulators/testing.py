"""pytest fixtures: each simulator fresh for one test, over real HTTP. A test suite's conftest
imports the ones it uses (``from report_simulators.testing import django_sim``)."""

from collections.abc import Iterator

import pytest

from report_simulators.django_api import DjangoSimulator, DjangoSimulatorOptions
from report_simulators.fireant_api import FireantSimulator, FireantSimulatorOptions
from report_simulators.serve import serve_in_thread


@pytest.fixture
def django_sim() -> Iterator[tuple[DjangoSimulator, str]]:
    """The Django API simulator with the sample catalogue, 5 reports a page."""
    simulator = DjangoSimulator(DjangoSimulatorOptions(default_page_size=5))
    with serve_in_thread(simulator.app) as url:
        yield simulator, url


@pytest.fixture
def fireant_sim() -> Iterator[tuple[FireantSimulator, str]]:
    """The Fireant simulator, whose jobs finish after 0.3 s."""
    simulator = FireantSimulator(FireantSimulatorOptions(job_seconds=0.3))
    with serve_in_thread(simulator.app) as url:
        yield simulator, url
