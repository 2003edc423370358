"""One local session: a moto S3 server shared by every process of a ``dg dev`` session.

moto keeps objects in memory, so the local lake lives as long as its server. The local
ledger belongs to the same session (``session_ledger``): when a new server starts, the
previous session's ledger goes with the objects it described, and the two never disagree.
"""

import contextlib
import fcntl
import json
from dataclasses import dataclass
from pathlib import Path

from local_services import start_s3_server, state_dir
from local_services.network import LOOPBACK, port_is_open

STATE_NAME = "spatial-s3"


@dataclass(frozen=True)
class LocalSession:
    endpoint: str  # host:port of the S3 server
    session_id: str  # changes whenever a new server starts
    folder: Path

    def ledger_path(self) -> Path:
        return self.folder / f"ledger-{self.session_id}.json"


def local_session(folder: str = "") -> LocalSession:
    """The running session's S3 server, starting one (and a new session) when none answers.

    The server's port is recorded in ``<folder>/server.json`` (default
    ``state_dir("spatial-s3")``) under a lock, so concurrent processes find one server.
    """
    base = Path(folder) if folder else state_dir(STATE_NAME)
    base.mkdir(parents=True, exist_ok=True)
    record = base / "server.json"
    with (base / ".server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
                known = json.loads(record.read_text())
                if port_is_open(int(known["port"])):
                    return LocalSession(f"{LOOPBACK}:{known['port']}", str(known["session"]), base)
            server = start_s3_server(log_file=base / "server.log")
            session = f"{server.port}-{server.process.pid}"
            for stale in base.glob("ledger-*.json"):
                stale.unlink()
            record.write_text(
                json.dumps({"port": server.port, "pid": server.process.pid, "session": session})
            )
            return LocalSession(f"{LOOPBACK}:{server.port}", session, base)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
