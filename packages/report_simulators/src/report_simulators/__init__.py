"""Local stand-ins for the reports Django API and the Fireant API, over real HTTP.

Both speak the contracts of the ``django_api`` and ``fireant`` clients, with injectable
latency and failures; run them in a thread (``serve_in_thread``) or as child processes
(``start_django_simulator``, ``start_fireant_simulator``), and change them while they run
with ``SimulatorControl``.
"""

from report_simulators.catalogue import EVENT_GROUPS, sample_catalogue
from report_simulators.control import SimulatorControl
from report_simulators.django_api import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DjangoSimulator,
    DjangoSimulatorOptions,
)
from report_simulators.faults import Faults
from report_simulators.fireant_api import DEFAULT_API_KEY, FireantSimulator, FireantSimulatorOptions
from report_simulators.serve import serve_in_thread, start_django_simulator, start_fireant_simulator

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "EVENT_GROUPS",
    "DjangoSimulator",
    "DjangoSimulatorOptions",
    "Faults",
    "FireantSimulator",
    "FireantSimulatorOptions",
    "SimulatorControl",
    "sample_catalogue",
    "serve_in_thread",
    "start_django_simulator",
    "start_fireant_simulator",
]
