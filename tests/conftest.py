"""Workspace-level fixtures: the repository root, the four locations it serves, their venvs,
and one `./scripts/dev` session shared by the workspace tests."""

import os
import signal
import subprocess
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from local_services import PostgresCluster, free_port
from local_services.shared import stop_shared_servers
from platform_testing.webserver import DagsterUI, LocationState

ROOT = Path(__file__).resolve().parents[1]


def workspace_projects() -> list[Path]:
    config = tomllib.loads((ROOT / "dg.toml").read_text())
    return [ROOT / p["path"] for p in config["workspace"]["projects"]]


def image_build_args() -> dict[str, dict[str, str]]:
    """Each location image's build arguments in deploy/docker-compose.yaml, by location."""
    services = yaml.safe_load((ROOT / "deploy" / "docker-compose.yaml").read_text())["services"]
    return {
        service["build"]["args"]["LOCATION"]: service["build"]["args"]
        for service in services.values()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def location_names() -> list[str]:
    return [p.name for p in workspace_projects()]


@pytest.fixture(scope="session")
def location_venvs() -> dict[str, Path]:
    """Each location's own venv (``locations/<name>/.venv``), made or brought up to date by
    ``scripts/location-venvs`` as ``scripts/dev`` does: what ``dg dev`` and ``dg check defs``
    run each location in."""
    subprocess.run(
        [str(ROOT / "scripts" / "location-venvs")],
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
        check=True,
        timeout=600,
    )
    return {p.name: p / ".venv" for p in workspace_projects()}


def processes_in_session(session_id: int) -> dict[int, str]:
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


def wait_until_gone(session_id: int, timeout: float) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while (left := processes_in_session(session_id)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


@dataclass(frozen=True)
class DevSession:
    script: subprocess.Popen
    started: float  # time.monotonic() when the script started
    ui: DagsterUI
    log_file: Path
    states: dict[str, LocationState]
    processes: dict[int, str]
    """What ran in the script's session once every location had loaded."""

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_file.read_text(errors="replace")[-chars:]


@pytest.fixture(scope="session")
def dev_session(
    tmp_path_factory: pytest.TempPathFactory, location_names: list[str]
) -> Iterator[DevSession]:
    """`./scripts/dev` on a fresh ``DAGSTER_HOME``, started as a background job of a
    non-interactive shell starts it, once every location has loaded; one session for the
    workspace tests (the plugin keeps them on one xdist worker); whatever is left of it is
    killed afterwards, and the local services it started are stopped."""
    home = tmp_path_factory.mktemp("dev-home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    log_file = home / "dev.log"
    started = time.monotonic()
    # nothing else: no venv, environment or seeding switch of the caller's
    unset = {"VIRTUAL_ENV", "DAGSTER_ENVIRONMENT", "LOCAL_DEMO_SEED"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
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
        ui = DagsterUI(f"http://127.0.0.1:{port}", log_file)
        states = ui.wait_for_locations(len(location_names), timeout=900)
        processes = processes_in_session(script.pid)
        yield DevSession(script, started, ui, log_file, states, processes)
    finally:
        for pid in processes_in_session(script.pid):
            os.kill(pid, signal.SIGKILL)
        stop_shared_servers(home)
        for data in (home / "local").glob("*/cluster/data"):
            PostgresCluster.create(data.parent).destroy()  # also a relocated one (root-only home)
