"""Both simulators served in threads of the test process, for fixtures."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from report_simulators.django_api import DjangoSimulator, DjangoSimulatorOptions
from report_simulators.fireant_api import FireantSimulator, FireantSimulatorOptions
from report_simulators.serve import serve_in_thread


@dataclass(frozen=True)
class RunningSimulators:
    """The simulators (their state is inspectable directly) and their base URLs."""

    django: DjangoSimulator
    django_url: str
    fireant: FireantSimulator
    fireant_url: str


@contextmanager
def running_simulators(
    django_options: DjangoSimulatorOptions | None = None,
    fireant_options: FireantSimulatorOptions | None = None,
) -> Iterator[RunningSimulators]:
    """Serve a fresh Django simulator and Fireant simulator on free 127.0.0.1 ports."""
    django = DjangoSimulator(django_options)
    fireant = FireantSimulator(fireant_options)
    with ExitStack() as stack:
        django_url = stack.enter_context(serve_in_thread(django.app))
        fireant_url = stack.enter_context(serve_in_thread(fireant.app))
        yield RunningSimulators(django, django_url, fireant, fireant_url)
