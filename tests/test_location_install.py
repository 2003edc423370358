"""Each location installs alone from the lock, as its deploy image does, and serves.

For every location in dg.toml: a fresh virtualenv gets only that location and the packages
it depends on (`uv sync --frozen --package <name> --no-editable --no-dev`, from the uv cache);
the other locations are absent; its component state is prepared as the image build prepares
it (deploy/prepare_defs_state.sh, with the location's PREPARE_DEFS_STATE from the compose
file); its gRPC code server starts from that venv (loading its definitions eagerly, as the
image's server does) and answers a health check; and `dagster definitions validate`, run
against that server, passes. No container engine runs here, so `docker build` itself is not
run: its steps are replayed.
"""

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dagster._grpc.client import DagsterGrpcClient

from local_services import free_port
from tests.conftest import ROOT, image_build_args, workspace_projects

# The first test of a location waits for its install (and estore's dbt parse) too.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

LOCATIONS = [p.name for p in workspace_projects()]


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]  # as scripts/uv.sh does


@dataclass(frozen=True)
class Installed:
    venv: Path
    state_folder: Path  # where the image keeps the location's component state


def _install(location: str, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A virtualenv holding ``location`` alone, its state prepared as the image build does."""
    venv = tmp_path_factory.mktemp(f"venv-{location}")
    home = tmp_path_factory.mktemp(f"home-{location}")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "DAGSTER_HOME": str(home)}
    env.pop("VIRTUAL_ENV", None)
    package = location.replace("_", "-")
    subprocess.run(
        [*_uv(), "sync", "--frozen", "--no-dev", "--no-editable", "--quiet", "--package", package],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
    )
    refresh = image_build_args()[location].get("PREPARE_DEFS_STATE", "false")
    prepared = subprocess.run(
        [str(ROOT / "deploy" / "prepare_defs_state.sh"), str(venv), location, refresh],
        cwd=ROOT,
        env=env,  # the script runs `uv` (on PATH here, as in the build stage)
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    return Installed(venv, Path(prepared.stdout.strip()))


class Installations(dict[str, Installed]):
    """Locations installed on first use, so that ``-k estore`` installs estore alone."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self.tmp_path_factory = tmp_path_factory

    def __missing__(self, location: str) -> Installed:
        self[location] = _install(location, self.tmp_path_factory)
        return self[location]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installations:
    return Installations(tmp_path_factory)


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
    installed: Installations,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CodeServer]:
    """The location's code server from its own venv, once it answers gRPC (loading eagerly,
    it listens only after its definitions have loaded, and exits if they fail to)."""
    location: str = request.param
    venv = installed[location].venv
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


def test_estore_image_loads_its_dbt_assets_from_the_state_prepared_at_build(
    installed: Installations, tmp_path: Path
) -> None:
    """Every dbt model and snapshot is an asset, read from the prepared manifest: loading
    neither parses dbt (no fallback warning) nor rewrites the state."""
    state = next(installed["estore"].state_folder.glob("DbtProjectComponent*/state"))
    written = state.stat().st_mtime_ns
    dbt_project = ROOT / "locations/estore/src/estore/dbt_project"
    expected = {p.stem for p in (dbt_project / "models").rglob("*.sql")} | {
        snapshot["name"]
        for path in (dbt_project / "snapshots").glob("*.yml")
        for snapshot in yaml.safe_load(path.read_text())["snapshots"]
    }
    listing = (
        "import json; from estore.definitions import defs; "
        "print(json.dumps([k.path[-1] for a in defs().assets for k in a.keys]))"
    )
    loaded = _run(installed["estore"].venv, "python", "-c", listing, home=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert expected <= set(json.loads(loaded.stdout.strip().splitlines()[-1]))
    assert "No prepared dbt state" not in loaded.stderr
    assert state.stat().st_mtime_ns == written


def test_reports_image_loads_with_an_empty_catalogue_until_discovery_writes_it(
    installed: Installations, tmp_path: Path
) -> None:
    """No catalogue is built into the image (discovery needs the Django API): the state
    folder exists, empty, for the discovery sensor to write into; the location loads with
    its discovery sensor."""
    folder = installed["reports"].state_folder
    assert folder.is_dir()
    assert not list(folder.glob("*/state"))
    listing = (
        "import json; from reports.definitions import defs; d = defs(); "
        "print(json.dumps({'sensors': [s.name for s in d.sensors]}))"
    )
    loaded = _run(installed["reports"].venv, "python", "-c", listing, home=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    names = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert "daily_report_discovery_sensor" in names["sensors"]


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
