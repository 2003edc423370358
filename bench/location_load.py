"""How long each location takes to load in its own venv, against the shared root venv.

For every location in dg.toml, in the same run and interleaved (so both see the same load
on the machine), in its own venv (``locations/<name>/.venv``, what ``dg dev`` and
``./scripts/dev`` run it in) and in the repository's root ``.venv`` (every location and tool
installed together, the baseline):

1. definitions: a fresh interpreter imports ``<name>.definitions`` and builds its
   ``Definitions`` (time measured inside the process, from before the import to the built
   object; the interpreter's own start is left out), and the process's wall time;
2. code server ready: ``dagster api grpc -m <name>.definitions`` (loading eagerly, as a
   deployed code server does) from start until it answers a gRPC ping.

One discarded import in each venv first (it compiles the .pyc files), then the median of
``--repeat`` runs (default 3)::

    uv run python bench/location_load.py [--repeat 3] [--locations reports estore]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from dagster._grpc.client import DagsterGrpcClient

from local_services import free_port

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".venv"

TIME_DEFINITIONS = """
import sys, time
started = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[1])
module.defs()
print(time.perf_counter() - started)
"""


def locations() -> list[str]:
    config = tomllib.loads((ROOT / "dg.toml").read_text())
    return [Path(p["path"]).name for p in config["workspace"]["projects"]]


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "DAGSTER_ENVIRONMENT")}
    return {**env, "DAGSTER_HOME": str(home)}


def definitions_time(venv: Path, location: str, home: Path) -> tuple[float, float]:
    """(import and build inside the process, whole process wall time), in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", TIME_DEFINITIONS, f"{location}.definitions"],
        cwd=ROOT / "locations" / location,
        env=child_env(home),
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    return float(done.stdout.strip().splitlines()[-1]), wall


def code_server_ready_time(venv: Path, location: str, home: Path, timeout: float = 300) -> float:
    """Seconds from starting ``dagster api grpc`` until it answers a ping."""
    port = free_port()
    started = time.perf_counter()
    argv = ["api", "grpc", "-m", f"{location}.definitions", "-h", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(
        [str(venv / "bin" / "dagster"), *argv],
        cwd=ROOT / "locations" / location,
        env=child_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = DagsterGrpcClient(port=port, host="127.0.0.1")
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"{location} code server exited: {server.communicate()[1][-2000:]}"
                )
            try:
                client.ping("ready")
                return time.perf_counter() - started
            except Exception:
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"{location} code server not ready in {timeout} s") from None
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--locations", nargs="*", default=locations())
    args = parser.parse_args()

    subprocess.run(
        [str(ROOT / "scripts" / "location-venvs"), *args.locations],
        env={k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
        check=True,
    )
    venvs = {"own venv": None, "shared .venv": SHARED}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        print(
            f"{'location':<12} {'venv':<13} {'import+build':>13} {'process':>9} {'server ready':>13}"
        )
        for location in args.locations:
            own_venv = ROOT / "locations" / location / ".venv"
            figures: dict[str, dict[str, list[float]]] = {
                name: {"build": [], "wall": [], "ready": []} for name in venvs
            }
            for venv in venvs.values():  # first imports compile .pyc files: not load time
                definitions_time(venv or own_venv, location, home)
            for _ in range(args.repeat):
                for name, venv in venvs.items():
                    build, wall = definitions_time(venv or own_venv, location, home)
                    figures[name]["build"].append(build)
                    figures[name]["wall"].append(wall)
                    figures[name]["ready"].append(
                        code_server_ready_time(venv or own_venv, location, home)
                    )
            for name, runs in figures.items():
                build, wall, ready = (
                    statistics.median(runs[k]) for k in ("build", "wall", "ready")
                )
                print(f"{location:<12} {name:<13} {build:>12.2f}s {wall:>8.2f}s {ready:>12.2f}s")
            own, shared = figures["own venv"], figures["shared .venv"]
            ratio = {k: statistics.median(own[k]) / statistics.median(shared[k]) for k in own}
            print(
                f"{'':<12} {'own/shared':<13} {ratio['build']:>12.2f}x {ratio['wall']:>8.2f}x"
                f" {ratio['ready']:>12.2f}x"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
