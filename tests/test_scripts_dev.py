"""`./scripts/dev` stops everything it started when it is told to stop.

A SIGTERM to its process group (what a process manager, an IDE or `timeout` sends) must end
`dg dev`, the webserver, the daemon and every code server, as Ctrl-C does, also when the
script was started with SIGINT ignored (by `nohup` or `&` in another script).
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from local_services import free_port
from platform_testing.webserver import DagsterUI
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _processes_in_session(session_id: int) -> dict[int, str]:
    """Every live process whose session is ``session_id``, with its command line."""
    found: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
            state, session = fields[0], int(fields[3])
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if session == session_id and state != "Z":
            found[int(proc.name)] = cmdline
    return found


def _wait_until_gone(session_id: int, timeout: float) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while (left := _processes_in_session(session_id)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


@pytest.mark.parametrize("signal_number", [signal.SIGTERM])
def test_sigterm_to_the_process_group_stops_everything(
    tmp_path: Path, location_names: list[str], signal_number: int
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    log_file = tmp_path / "dev.log"
    with log_file.open("wb") as log:
        script = subprocess.Popen(
            [str(ROOT / "scripts" / "dev"), "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # as a background job of a non-interactive shell starts it
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    session = script.pid
    try:
        states = DagsterUI(f"http://127.0.0.1:{port}", log_file).wait_for_locations(
            len(location_names), timeout=480
        )
        assert set(states) == set(location_names)
        started = _processes_in_session(session)
        # the script, dg dev, the webserver, the daemon and one code server per location
        assert len(started) >= 4 + len(location_names), started

        os.killpg(session, signal_number)
        assert script.wait(timeout=180) == 0, log_file.read_text()[-3000:]
        left = _wait_until_gone(session, timeout=30)
        assert not left, f"still running after {signal_number!r}: {left}"
    finally:
        for pid in _processes_in_session(session):
            os.kill(pid, signal.SIGKILL)
