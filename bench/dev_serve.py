"""How long ``./scripts/dev`` takes until all four locations serve, against four empty dg projects.

Each pair, in turn (so both see the same load on the machine), on a fresh ``DAGSTER_HOME``:

- ``./scripts/dev``: its install checks (``uv sync``, ``scripts/location-venvs``, the dbt
  state), then ``dg dev`` serving the four locations, each in its own venv;
- the baseline: ``dg dev`` on a workspace of four empty dg projects (``Definitions()`` only)
  in the root venv: what serving four code locations costs before any location's own code.

Each figure is from start until the webserver reports every location loaded with no load
error (polled every 0.5 s over GraphQL); then each is stopped with SIGINT, as Ctrl-C does.
Target: ``./scripts/dev`` at most 1.5x the baseline. Median of ``--repeat`` pairs (default 3)::

    uv run python bench/dev_serve.py [--repeat 3]
"""

import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time
import tomllib
from pathlib import Path

from local_services import free_port
from local_services.shared import stop_shared_servers
from local_services.state import stop_local_clusters
from platform_testing.webserver import DagsterUI

ROOT = Path(__file__).resolve().parents[1]
EMPTY_DEFINITIONS = """import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions()
"""


def location_count() -> int:
    return len(tomllib.loads((ROOT / "dg.toml").read_text())["workspace"]["projects"])


def empty_workspace(folder: Path, count: int) -> Path:
    """A dg workspace of ``count`` empty projects whose venv is the root ``.venv``."""
    projects = [f"empty_{n}" for n in range(count)]
    (folder / "dg.toml").write_text(
        'directory_type = "workspace"\n\n[workspace]\n'
        + "".join(f'\n[[workspace.projects]]\npath = "projects/{p}"\n' for p in projects)
    )
    for name in projects:
        project = folder / "projects" / name
        (project / "src" / name).mkdir(parents=True)
        (project / "src" / name / "__init__.py").write_text("")
        (project / "src" / name / "definitions.py").write_text(EMPTY_DEFINITIONS)
        (project / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "0"\n\n[tool.dg]\ndirectory_type = "project"\n'
            f'\n[tool.dg.project]\nroot_module = "{name}"\n\n[tool.dagster]\n'
            f'module_name = "{name}.definitions"\ncode_location_name = "{name}"\n'
        )
        (project / ".venv").symlink_to(ROOT / ".venv")
    return folder


def serve_time(argv: list[str], cwd: Path, count: int) -> float:
    """Seconds from start until ``count`` locations loaded without error; then SIGINT."""
    home = Path(tempfile.mkdtemp(prefix="bench-dev-home-"))
    home.chmod(0o755)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "DAGSTER_ENVIRONMENT")}
    env.update(DAGSTER_HOME=str(home), PATH=f"{ROOT / '.venv' / 'bin'}:{env['PATH']}")
    log = home / "serve.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*argv, "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ui = DagsterUI(f"http://127.0.0.1:{port}", log)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited:\n{log.read_text()[-2000:]}")
            try:
                states = ui.locations()
            except OSError:
                states = {}
            loaded = [s for s in states.values() if s.load_status == "LOADED"]
            if len(states) >= count and len(loaded) == len(states):
                broken = [s for s in states.values() if s.kind != "RepositoryLocation"]
                if broken:
                    raise RuntimeError(f"load errors: {broken}")
                return time.perf_counter() - started
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        stop_local_clusters(home)
        stop_shared_servers(home)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    count = location_count()
    dev, empty = [], []
    with tempfile.TemporaryDirectory(prefix="bench-empty-ws-") as tmp:
        workspace = empty_workspace(Path(tmp), count)
        for _ in range(args.repeat):
            dev.append(serve_time([str(ROOT / "scripts" / "dev")], ROOT, count))
            empty.append(serve_time(["dg", "dev", "--host", "127.0.0.1"], workspace, count))
    ratios = [d / e for d, e in zip(dev, empty, strict=True)]
    print(f"{count} locations serving, median of {args.repeat} pair(s), each pair in turn:")
    print(f"  ./scripts/dev                      {statistics.median(dev):6.1f} s")
    print(f"  dg dev, {count} empty projects (base) {statistics.median(empty):6.1f} s")
    print(
        f"  ratio scripts/dev / base           {statistics.median(ratios):6.2f}x (target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
