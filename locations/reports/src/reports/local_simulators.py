"""The Django and Fireant simulators a local location runs against, started at first use.

Sensors run in the code server and each run step in its own process; all of them must talk
to the same two simulators (a Fireant job lives in the simulator that accepted it). The
first process that needs them starts both as detached child processes and records their
URLs under ``$DAGSTER_HOME/local/reports-simulators``; the others find them there. Nothing
starts while definitions load. ``python -m reports.local_simulators stop`` stops them.
"""

import contextlib
import fcntl
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from local_services import state_dir
from local_services.network import port_is_open

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


def _folder() -> Path:
    return state_dir(STATE_NAME)


def _read(path: Path) -> LocalSimulators | None:
    try:
        data = json.loads(path.read_text())
        return LocalSimulators(data["django_url"], data["fireant_url"], tuple(data.get("pids", ())))
    except (OSError, ValueError, KeyError):
        return None


def ensure_local_simulators() -> LocalSimulators:
    """The running simulators, started now if none answer (one process at a time)."""
    folder = _folder()
    record = folder / "servers.json"
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        known = _read(record)
        if known and known.alive():
            return known
        from report_simulators import start_django_simulator, start_fireant_simulator

        env = {"FIREANT_SIM_JOB_SECONDS": os.environ.get("FIREANT_SIM_JOB_SECONDS", "3")}
        django = start_django_simulator(
            catalogue_path=folder / "catalogue.json", log_file=folder / "django.log"
        )
        fireant = start_fireant_simulator(log_file=folder / "fireant.log", env=env)
        started = LocalSimulators(
            django.url, fireant.url, (django.process.pid, fireant.process.pid)
        )
        tmp = record.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "django_url": started.django_url,
                    "fireant_url": started.fireant_url,
                    "pids": list(started.pids),
                }
            )
        )
        tmp.replace(record)
        return started


def stop_local_simulators() -> LocalSimulators | None:
    record = _folder() / "servers.json"
    known = _read(record)
    if known is None:
        return None
    for pid in known.pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    record.unlink(missing_ok=True)
    return known


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stopped = stop_local_simulators()
        print(f"stopped {stopped}" if stopped else "no local report simulators were recorded")
    elif sys.argv[1:] == ["start"]:
        print(ensure_local_simulators())
    else:
        sys.exit("usage: python -m reports.local_simulators {start|stop}")
