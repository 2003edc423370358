"""Local servers shared by every process of a ``dg dev`` session, started at first use.

Sensors run in the code server and each run step in its own process; all of them must talk
to the same servers. The first process that needs them starts them (under a lock, so only
one does) and records their URLs, ports and pids in ``<folder>/servers.json``; the others
find them there while their ports answer. ``stop_shared_servers`` (run by
``python -m local_services.stop`` when ``scripts/dev`` exits) stops every recorded server.
"""

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from local_services.network import port_is_open
from local_services.servers import ServerProcess

RECORD = "servers.json"
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class SharedServer:
    """A recorded server: where it answers and the process to stop."""

    url: str
    port: int
    pid: int


Starter = Callable[[Path], Mapping[str, ServerProcess]]


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".servers.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def recorded_servers(folder: Path) -> dict[str, SharedServer] | None:
    """The servers recorded in ``folder``, running or not; ``None`` without a readable record."""
    try:
        data = json.loads((folder / RECORD).read_text())
        return {name: SharedServer(**server) for name, server in data["servers"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def shared_servers(folder: Path, start: Starter) -> dict[str, SharedServer]:
    """The servers recorded in ``folder`` if all their ports answer, else ``start(folder)``'s.

    ``start`` runs under the lock, so it may also reset state that belongs to the servers.
    """
    with _locked(folder):
        known = recorded_servers(folder)
        if known and all(port_is_open(server.port) for server in known.values()):
            return known
        started = {
            name: SharedServer(server.url, server.port, server.process.pid)
            for name, server in start(folder).items()
        }
        record = folder / RECORD
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps({"servers": {n: asdict(s) for n, s in started.items()}}))
        tmp.replace(record)
        return started


def stop_shared(folder: Path) -> dict[str, SharedServer] | None:
    """Stop the servers recorded in ``folder`` and remove the record; ``None`` if none was."""
    with _locked(folder):
        known = recorded_servers(folder)
        for server in (known or {}).values():
            _terminate(server)
        (folder / RECORD).unlink(missing_ok=True)
        return known


def stop_shared_servers(dagster_home: Path) -> list[tuple[Path, dict[str, SharedServer]]]:
    """Stop every shared server recorded under ``dagster_home/local``."""
    stopped = []
    for record in sorted((dagster_home / "local").glob(f"*/{RECORD}")):
        if servers := stop_shared(record.parent):
            stopped.append((record.parent, servers))
    return stopped


def _terminate(server: SharedServer) -> None:
    """SIGTERM, a short wait, then SIGKILL; a pid already gone is fine."""
    pid = server.pid
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        # A zombie's threads may still hold its port for a moment: wait for both.
        if not _running(pid) and not port_is_open(server.port):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _running(pid)  # reaps it if it is our child


def _running(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, now reaped
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError, IndexError):
        # An exited child of another process lingers as a zombie until it is reaped.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True
