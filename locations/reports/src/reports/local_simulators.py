"""The Django and Fireant simulators a local location runs against, started at first use.

Sensors run in the code server and each run step in its own process; all of them must talk
to the same two simulators (a Fireant job lives in the simulator that accepted it). The
first process that needs them starts both and records them under
``$DAGSTER_HOME/local/reports-simulators`` (``local_services.shared``); the others find them
there. Nothing starts while definitions load. ``scripts/dev`` stops them when it exits;
``python -m reports.local_simulators stop`` stops them by hand.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from local_services import ServerProcess, state_dir
from local_services.network import port_is_open
from local_services.shared import SharedServer, shared_servers, stop_shared

STATE_NAME = "reports-simulators"


@dataclass(frozen=True)
class LocalSimulators:
    django_url: str
    fireant_url: str
    pids: tuple[int, ...] = ()

    def alive(self) -> bool:
        return all(
            port_is_open(urlparse(url).port or 0) for url in (self.django_url, self.fireant_url)
        )

    @classmethod
    def from_servers(cls, servers: dict[str, SharedServer]) -> "LocalSimulators":
        django, fireant = servers["django"], servers["fireant"]
        return cls(django.url, fireant.url, (django.pid, fireant.pid))


def _start(folder: Path) -> dict[str, ServerProcess]:
    from report_simulators import start_django_simulator, start_fireant_simulator

    env = {"FIREANT_SIM_JOB_SECONDS": os.environ.get("FIREANT_SIM_JOB_SECONDS", "3")}
    django = start_django_simulator(
        catalogue_path=folder / "catalogue.json", log_file=folder / "django.log"
    )
    fireant = start_fireant_simulator(log_file=folder / "fireant.log", env=env)
    return {"django": django, "fireant": fireant}


def ensure_local_simulators() -> LocalSimulators:
    """The running simulators, started now if none answer (one process at a time)."""
    return LocalSimulators.from_servers(shared_servers(state_dir(STATE_NAME), _start))


def stop_local_simulators() -> LocalSimulators | None:
    stopped = stop_shared(state_dir(STATE_NAME))
    return LocalSimulators.from_servers(stopped) if stopped else None


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stopped = stop_local_simulators()
        print(f"stopped {stopped}" if stopped else "no local report simulators were recorded")
    elif sys.argv[1:] == ["start"]:
        print(ensure_local_simulators())
    else:
        sys.exit("usage: python -m reports.local_simulators {start|stop}")
