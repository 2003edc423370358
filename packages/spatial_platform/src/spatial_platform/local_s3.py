"""One moto S3 server per local session, shared by every process that needs it."""

import contextlib
import fcntl
import json
from pathlib import Path

from local_services import start_s3_server, state_dir
from local_services.network import LOOPBACK, port_is_open

STATE_NAME = "spatial-s3"


def shared_s3_endpoint(folder: str = "") -> str:
    """``host:port`` of the session's S3 server, starting it when none answers.

    The port is recorded in ``<folder>/server.json`` (default ``state_dir("spatial-s3")``)
    under a lock, so concurrent processes find one server rather than starting several.
    """
    base = Path(folder) if folder else state_dir(STATE_NAME)
    base.mkdir(parents=True, exist_ok=True)
    record = base / "server.json"
    with (base / ".server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
                port = int(json.loads(record.read_text())["port"])
                if port_is_open(port):
                    return f"{LOOPBACK}:{port}"
            server = start_s3_server(log_file=base / "server.log")
            record.write_text(json.dumps({"port": server.port, "pid": server.process.pid}))
            return f"{LOOPBACK}:{server.port}"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
