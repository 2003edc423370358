"""`./scripts/dev` serves every location, and stops everything it started when told to stop.

One `./scripts/dev` session serves both checks: first that each location loads in its own
venv with no load error, then that a SIGTERM to the script's process group (what a process
manager, an IDE or `timeout` sends) ends `dg dev`, the webserver, the daemon and every code
server, as Ctrl-C does, also when the script was started with SIGINT ignored (by `nohup` or
`&` in another script).
"""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local_services import free_port
from platform_testing.webserver import DagsterUI, LocationState
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


@dataclass(frozen=True)
class DevSession:
    script: subprocess.Popen
    log_file: Path
    states: dict[str, LocationState]
    processes: dict[int, str]
    """What ran in the script's session once every location had loaded."""


@pytest.fixture(scope="module")
def dev_session(
    tmp_path_factory: pytest.TempPathFactory, location_names: list[str]
) -> Iterator[DevSession]:
    """`./scripts/dev` started as a background job of a non-interactive shell starts it,
    once every location has loaded; whatever is left of it is killed afterwards."""
    home = tmp_path_factory.mktemp("dev-home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    log_file = home / "dev.log"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    with log_file.open("wb") as log:
        script = subprocess.Popen(
            [str(ROOT / "scripts" / "dev"), "--port", str(port)],
            cwd=ROOT,
            env={**env, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    try:
        states = DagsterUI(f"http://127.0.0.1:{port}", log_file).wait_for_locations(
            len(location_names), timeout=480
        )
        yield DevSession(script, log_file, states, _processes_in_session(script.pid))
    finally:
        for pid in _processes_in_session(script.pid):
            os.kill(pid, signal.SIGKILL)


def test_every_location_loads_in_its_own_venv(
    dev_session: DevSession, location_names: list[str]
) -> None:
    assert set(dev_session.states) == set(location_names)
    for state in dev_session.states.values():
        assert state.kind == "RepositoryLocation", state
    code_servers = [c for c in dev_session.processes.values() if " dagster api grpc " in c]
    for name in location_names:
        python = ROOT / "locations" / name / ".venv" / "bin" / "python"
        assert any(c.startswith(f"{python} ") for c in code_servers), (name, code_servers)


@pytest.mark.parametrize("signal_number", [signal.SIGTERM])
def test_a_signal_to_the_process_group_stops_everything(
    dev_session: DevSession, location_names: list[str], signal_number: int
) -> None:
    session = dev_session.script.pid
    # the script, dg dev, the webserver, the daemon and one code server per location
    assert len(dev_session.processes) >= 4 + len(location_names), dev_session.processes

    os.killpg(session, signal_number)
    assert dev_session.script.wait(timeout=180) == 0, dev_session.log_file.read_text()[-3000:]
    left = _wait_until_gone(session, timeout=30)
    assert not left, f"still running after {signal_number!r}: {left}"
