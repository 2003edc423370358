"""Each location installs alone from the lock, as its deploy image does, and serves.

For every location in dg.toml: a fresh virtualenv gets only that location and the packages
it depends on (`uv sync --frozen --package <name> --no-editable --no-dev`, from the uv cache);
the other locations are absent; its definitions validate; its gRPC code server starts and
answers a health check. No container engine runs here, so `docker build` itself is not run.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

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


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return tmp_path


@pytest.mark.parametrize("location", LOCATIONS)
def test_location_installs_alone_and_its_definitions_validate(
    installed: dict[str, Path], location: str, home: Path
) -> None:
    venv = installed[location]
    others = [other for other in LOCATIONS if other != location]
    probe = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(m) for m in sys.argv[1:]))"
    assert _run(venv, "python", "-c", probe, *others, home=home).returncode == 0, (
        f"another location is installed next to {location}"
    )
    validated = _run(
        venv, "dagster", "definitions", "validate", "-m", f"{location}.definitions", home=home
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Validation successful" in validated.stdout + validated.stderr


@pytest.mark.parametrize("location", LOCATIONS)
def test_location_code_server_answers_a_health_check(
    installed: dict[str, Path], location: str, home: Path
) -> None:
    venv = installed[location]
    port = free_port()
    grpc = [str(venv / "bin" / "dagster"), "api", "grpc"]
    log = home / "grpc.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*grpc, "-m", f"{location}.definitions", "-h", "127.0.0.1", "-p", str(port)],
            cwd=home,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            check = _run(venv, "dagster", "api", "grpc-health-check", "-p", str(port), home=home)
            if check.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(1)
        assert check.returncode == 0, check.stdout + check.stderr + log.read_text()[-3000:]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
