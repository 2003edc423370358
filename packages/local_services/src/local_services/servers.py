"""Stand-ins for object stores and MongoDB, each run as a child process on 127.0.0.1."""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from local_services.network import LOOPBACK, free_port, wait_for_port


@dataclass
class ServerProcess:
    """A server child process and the URL it answers on."""

    name: str
    url: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start(
    name: str, argv: list[str], port: int, log_file: Path | None, url: str | None = None
) -> ServerProcess:
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=60)
    except TimeoutError:
        process.kill()
        raise RuntimeError(
            f"{name} did not start on {LOOPBACK}:{port}; see {log_file or 'its output'}"
        ) from None
    return ServerProcess(name, url or f"http://{LOOPBACK}:{port}", port, process)


def start_s3_server(port: int | None = None, log_file: Path | None = None) -> ServerProcess:
    """moto's S3 server: the S3 API (and so MinIO's client API) in memory."""
    port = port or free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
    return _start("moto S3 server", argv, port, log_file)


def start_gcs_emulator(
    port: int | None = None, data_dir: Path | None = None, log_file: Path | None = None
) -> ServerProcess:
    """The GCS JSON API emulator, in memory unless ``data_dir`` is given.

    Listings honour ``startOffset``, ``endOffset``, ``maxResults`` and ``pageToken`` as GCS
    does (see ``local_services.gcs_emulator``).
    """
    port = port or free_port()
    argv = [sys.executable, "-m", "local_services.gcs_emulator"]
    argv += ["--data-dir", str(data_dir), "start"] if data_dir else ["start", "--in-memory"]
    argv += ["--host", LOOPBACK, "--port", str(port), "--default-bucket", "local"]
    return _start("GCS emulator", argv, port, log_file)


MONGODB_SERVER = "secantusd-py"


class MongoDBServerUnavailable(RuntimeError):
    """The MongoDB wire server (``secantusdb``, a dev dependency) is not installed."""


def mongodb_server_executable() -> Path:
    """``secantusd-py`` beside this interpreter, else on ``PATH`` (a location's own venv
    lacks it: ``scripts/dev`` puts the workspace venv, which has it, on ``PATH``)."""
    beside = Path(sys.executable).parent / MONGODB_SERVER
    if beside.exists():
        return beside
    found = shutil.which(MONGODB_SERVER)
    if found is None:
        raise MongoDBServerUnavailable(
            f"{MONGODB_SERVER} (PyPI secantusdb, the workspace's dev group) is not installed: "
            "run `uv sync` at the repository root, or point MONGO_CONNECTION_STRING at a "
            "MongoDB server with DAGSTER_ENVIRONMENT set"
        )
    return Path(found)


def start_mongodb_server(port: int | None = None, log_file: Path | None = None) -> ServerProcess:
    """A MongoDB wire-protocol server (SecantusDB on WiredTiger) holding its data in memory.

    Its URL is a ``mongodb://`` URI for pymongo: the same driver and queries as production.
    """
    port = port or free_port()
    argv = [str(mongodb_server_executable()), "--host", LOOPBACK, "--port", str(port)]
    argv += ["--storage-path", ":memory:", "--cache-size", "128M", "--log-level", "WARNING"]
    uri = f"mongodb://{LOOPBACK}:{port}/?directConnection=true"
    return _start("MongoDB server (secantusdb)", argv, port, log_file, uri)
