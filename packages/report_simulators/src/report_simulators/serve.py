"""Run the simulators: in a thread of this process (tests) or as child processes (``dg dev``)."""

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from local_services import ServerProcess, free_port, wait_for_port
from local_services.network import LOOPBACK


@contextmanager
def serve_in_thread(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a daemon thread; yield its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host=LOOPBACK, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"simulator-{port}", daemon=True)
    thread.start()
    try:
        wait_for_port(port, timeout=30)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _start(
    kind: str, port: int | None, log_file: Path | None, env: dict[str, str] | None
) -> ServerProcess:
    port = port or free_port()
    argv = [sys.executable, "-m", "report_simulators", kind, "--port", str(port)]
    out = log_file.open("ab") if log_file else None
    import subprocess

    process = subprocess.Popen(
        argv,
        stdout=out or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        wait_for_port(port, timeout=60)
    except TimeoutError:
        process.kill()
        process.wait()
        raise RuntimeError(
            f"the {kind} simulator did not start on {LOOPBACK}:{port}; see {log_file or 'its output'}"
        ) from None
    return ServerProcess(f"{kind} simulator", f"http://{LOOPBACK}:{port}", port, process)


def start_django_simulator(
    port: int | None = None,
    catalogue_path: Path | None = None,
    log_file: Path | None = None,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """The Django API simulator as a child process (options from ``DJANGO_SIM_*`` in ``env``).

    With ``catalogue_path`` the catalogue lives in that JSON file (created from the sample
    when missing) and edits to the file show in the next listing.
    """
    extra = dict(env or {})
    if catalogue_path is not None:
        extra["DJANGO_SIM_CATALOGUE"] = str(catalogue_path)
    return _start("django", port, log_file, extra)


def start_fireant_simulator(
    port: int | None = None, log_file: Path | None = None, env: dict[str, str] | None = None
) -> ServerProcess:
    """The Fireant simulator as a child process (options from ``FIREANT_SIM_*`` in ``env``)."""
    return _start("fireant", port, log_file, env)
