"""Shared servers: started once, found by later callers, stopped by ``local_services.stop``."""

import subprocess
import sys
from pathlib import Path

from local_services import ServerProcess, free_port, wait_for_port
from local_services.network import LOOPBACK, port_is_open
from local_services.shared import RECORD, Starter, shared_servers, stop_shared


def http_servers(started: list[ServerProcess]) -> Starter:
    """A starter of ``python -m http.server`` on a free port, keeping what it started."""

    def start(_: Path) -> dict[str, ServerProcess]:
        port = free_port()
        argv = [sys.executable, "-m", "http.server", "-b", LOOPBACK, str(port)]
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port)
        started.append(ServerProcess("web", f"http://{LOOPBACK}:{port}", port, process))
        return {"web": started[-1]}

    return start


def test_a_shared_server_is_started_once_and_stopped_by_local_services_stop(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "local" / "web"
    started: list[ServerProcess] = []
    start = http_servers(started)

    try:
        first = shared_servers(folder, start)
        assert shared_servers(folder, start) == first  # found again, not started again
        assert len(started) == 1
        (server,) = started
        assert first["web"].pid == server.process.pid and port_is_open(server.port)

        stop = [sys.executable, "-m", "local_services.stop", str(tmp_path)]
        out = subprocess.run(stop, check=True, capture_output=True, text=True).stdout
        assert f"stopped the local servers in {folder}: web" in out
        assert server.process.wait(timeout=30) is not None  # the process is gone
        assert not port_is_open(server.port)
        assert not (folder / RECORD).exists()
    finally:
        stop_shared(folder)
        for server in started:
            server.stop()


def test_a_server_that_stopped_is_started_again(tmp_path: Path) -> None:
    folder = tmp_path / "local" / "web"
    started: list[ServerProcess] = []
    start = http_servers(started)

    try:
        first = shared_servers(folder, start)
        assert stop_shared(folder) == first
        assert not port_is_open(first["web"].port)
        second = shared_servers(folder, start)
        assert second["web"].pid != first["web"].pid and len(started) == 2
    finally:
        stop_shared(folder)
        for server in started:
            server.stop()
