"""Each location installs alone from the lock, as its deploy image does, and serves.

For every location in dg.toml: a fresh virtualenv gets only that location and the packages
it depends on (`uv sync --frozen --package <name> --no-editable --no-dev`, from the uv cache);
the other locations are absent; its component state is prepared as the image build prepares
it (deploy/prepare_defs_state.sh, with the location's PREPARE_DEFS_STATE from the compose
file); its definitions validate; its gRPC code server starts and answers a health check.
No container engine runs here, so `docker build` itself is not run: its steps are replayed.
"""

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

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


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return tmp_path


@pytest.mark.parametrize("location", LOCATIONS)
def test_location_installs_alone_and_its_definitions_validate(
    installed: dict[str, Installed], location: str, home: Path
) -> None:
    venv = installed[location].venv
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
    installed: dict[str, Installed], location: str, home: Path
) -> None:
    venv = installed[location].venv
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


def test_estore_image_loads_its_dbt_assets_from_the_state_prepared_at_build(
    installed: dict[str, Installed], home: Path
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
    loaded = _run(installed["estore"].venv, "python", "-c", listing, home=home)
    assert loaded.returncode == 0, loaded.stderr
    assert expected <= set(json.loads(loaded.stdout.strip().splitlines()[-1]))
    assert "No prepared dbt state" not in loaded.stderr
    assert state.stat().st_mtime_ns == written


def test_reports_image_loads_with_an_empty_catalogue_until_discovery_writes_it(
    installed: dict[str, Installed], home: Path
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
    loaded = _run(installed["reports"].venv, "python", "-c", listing, home=home)
    assert loaded.returncode == 0, loaded.stderr
    names = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert "daily_report_discovery_sensor" in names["sensors"]
