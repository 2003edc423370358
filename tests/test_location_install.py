"""Each location installs alone from the lock, as its deploy image does, and serves.

For every location in dg.toml: a fresh virtualenv gets only that location and the packages
it depends on (`uv sync --frozen --package <name> --no-editable --no-dev`, from the uv cache);
the other locations are absent; its gRPC code server starts from that venv (loading its
definitions eagerly, as the image's server does) and answers a health check; and
`dagster definitions validate`, run against that server, passes. No container engine runs
here, so `docker build` itself is not run.
"""

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster._grpc.client import DagsterGrpcClient

from local_services import free_port
from tests.conftest import ROOT, workspace_projects

pytestmark = pytest.mark.slow

LOCATIONS = [p.name for p in workspace_projects()]


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]  # as scripts/uv.sh does


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One virtualenv per location, each holding that location alone."""
    venvs: dict[str, Path] = {}
    for location in LOCATIONS:
        venv = tmp_path_factory.mktemp(f"venv-{location}")
        package = location.replace("_", "-")
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
        env.pop("VIRTUAL_ENV", None)
        subprocess.run(
            [
                *_uv(),
                "sync",
                "--frozen",
                "--no-dev",
                "--no-editable",
                "--quiet",
                "--package",
                package,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
        )
        venvs[location] = venv
    return venvs


def _run(venv: Path, *argv: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / argv[0]), *argv[1:]],
        cwd=home,  # not the repository: only what is installed can load
        env={
            **os.environ,
            "DAGSTER_HOME": str(home),
            "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass(frozen=True)
class CodeServer:
    location: str
    venv: Path
    home: Path
    port: int


@pytest.fixture(scope="module", params=LOCATIONS)
def code_server(
    request: pytest.FixtureRequest,
    installed: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CodeServer]:
    """The location's code server from its own venv, once it answers gRPC (loading eagerly,
    it listens only after its definitions have loaded, and exits if they fail to)."""
    location: str = request.param
    venv = installed[location]
    home = tmp_path_factory.mktemp(f"home-{location}")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    grpc = [str(venv / "bin" / "dagster"), "api", "grpc", "-m", f"{location}.definitions"]
    log = home / "grpc.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*grpc, "-h", "127.0.0.1", "-p", str(port)],
            cwd=home,  # not the repository: only what is installed can load
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = DagsterGrpcClient(port=port, host="127.0.0.1")
    try:
        deadline = time.monotonic() + 180
        while server.poll() is None and time.monotonic() < deadline:
            try:
                client.ping("up")
                break
            except Exception:
                time.sleep(0.2)
        assert server.poll() is None, f"{location} code server exited:\n{log.read_text()[-3000:]}"
        yield CodeServer(location, venv, home, port)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_location_installs_alone(code_server: CodeServer) -> None:
    others = [other for other in LOCATIONS if other != code_server.location]
    probe = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(m) for m in sys.argv[1:]))"
    found = _run(code_server.venv, "python", "-c", probe, *others, home=code_server.home)
    assert found.returncode == 0, f"another location is installed next to {code_server.location}"


def test_location_code_server_answers_a_health_check(code_server: CodeServer) -> None:
    port = str(code_server.port)
    check = _run(
        code_server.venv, "dagster", "api", "grpc-health-check", "-p", port, home=code_server.home
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_location_definitions_validate(code_server: CodeServer) -> None:
    validated = _run(
        code_server.venv,
        "dagster",
        "definitions",
        "validate",
        "--grpc-host",
        "127.0.0.1",
        "--grpc-port",
        str(code_server.port),
        home=code_server.home,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Validation successful" in validated.stdout + validated.stderr
