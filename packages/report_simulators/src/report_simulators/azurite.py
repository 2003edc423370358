"""Azurite, Microsoft's Azure Storage emulator, as the local stand-in for OneLake storage.

It comes from npm: the first ``start_azurite`` installs a pinned version into a cache folder
(``$AZURITE_HOME``, else ``~/.cache/dagster-platform/azurite-<version>``); later starts reuse
it. Only the blob service runs, in memory unless a data folder is given, on 127.0.0.1.
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from fabric_store import AZURITE_ACCOUNT_KEY as ACCOUNT_KEY
from fabric_store import AZURITE_ACCOUNT_NAME as ACCOUNT_NAME
from local_services import ServerProcess, free_port, wait_for_port
from local_services.network import LOOPBACK

AZURITE_VERSION = "3.37.0"


class AzuriteUnavailable(RuntimeError):
    """Node/npm are missing, or npm could not install Azurite."""


def install_dir() -> Path:
    if home := os.environ.get("AZURITE_HOME"):
        return Path(home)
    return Path.home() / ".cache" / "dagster-platform" / f"azurite-{AZURITE_VERSION}"


def ensure_azurite(folder: Path | None = None) -> Path:
    """The ``azurite-blob`` executable, installed with npm into ``folder`` when missing."""
    folder = folder or install_dir()
    binary = folder / "node_modules" / ".bin" / "azurite-blob"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise AzuriteUnavailable("node and npm are not installed (apt-get install -y nodejs npm)")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            try:
                result = subprocess.run(
                    [
                        npm,
                        "install",
                        "--no-audit",
                        "--no-fund",
                        "--prefix",
                        str(folder),
                        f"azurite@{AZURITE_VERSION}",
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=600,
                )
            except subprocess.TimeoutExpired:
                raise AzuriteUnavailable(
                    f"npm install azurite@{AZURITE_VERSION} did not finish within 10 minutes"
                ) from None
            if result.returncode != 0 or not binary.exists():
                tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
                raise AzuriteUnavailable(f"npm install azurite@{AZURITE_VERSION} failed: {tail[0]}")
    return binary


def start_azurite(
    port: int | None = None, data_dir: Path | None = None, log_file: Path | None = None
) -> ServerProcess:
    """Azurite's blob service on 127.0.0.1 (in memory unless ``data_dir``); its URL is the
    blob endpoint root (``http://127.0.0.1:<port>``, account path ``/devstoreaccount1``)."""
    binary = ensure_azurite()
    port = port or free_port()
    argv = [str(binary), "--blobHost", LOOPBACK, "--blobPort", str(port)]
    argv += ["--skipApiVersionCheck", "--loose", "--silent"]
    argv += ["--location", str(data_dir)] if data_dir else ["--inMemoryPersistence"]
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=60)
    except TimeoutError:
        process.kill()
        process.wait()
        raise AzuriteUnavailable(f"Azurite did not start on {LOOPBACK}:{port}") from None
    return ServerProcess("Azurite", f"http://{LOOPBACK}:{port}", port, process)


def stop_azurite(server: ServerProcess) -> None:
    """Stop Azurite at once. On SIGINT/SIGTERM it waits for idle keep-alive connections
    (deltalake keeps a pool open) before exiting; in memory it has nothing to flush."""
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


def connection_string(blob_endpoint: str) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={blob_endpoint.rstrip('/')}/{ACCOUNT_NAME};"
    )


def create_container(blob_endpoint: str, name: str) -> None:
    """Create container ``name`` in the Azurite at ``blob_endpoint`` (no error if it exists)."""
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(connection_string(blob_endpoint))
    with contextlib.suppress(ResourceExistsError):
        service.create_container(name)
