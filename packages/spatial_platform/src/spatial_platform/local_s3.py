"""One local session: a moto S3 server shared by every process of a ``dg dev`` session.

moto keeps objects in memory, so the local lake lives as long as its server, which
``scripts/dev`` stops when it exits. The local ledger belongs to the same session
(``session_ledger``): when a new server starts, the previous session's ledger goes with the
objects it described, and the two never disagree.
"""

from dataclasses import dataclass
from pathlib import Path

from local_services import ServerProcess, start_s3_server, state_dir
from local_services.network import LOOPBACK
from local_services.shared import shared_servers

STATE_NAME = "spatial-s3"


@dataclass(frozen=True)
class LocalSession:
    endpoint: str  # host:port of the S3 server
    session_id: str  # changes whenever a new server starts
    folder: Path

    def ledger_path(self) -> Path:
        return self.folder / f"ledger-{self.session_id}.json"


def _start_session(folder: Path) -> dict[str, ServerProcess]:
    """A new server, and so a new session: the previous session's ledgers go."""
    for stale in folder.glob("ledger-*.json"):
        stale.unlink()
    return {"s3": start_s3_server(log_file=folder / "server.log")}


def local_session(folder: str = "") -> LocalSession:
    """The running session's S3 server, starting one (and a new session) when none answers.

    The server is recorded in ``<folder>/servers.json`` (default ``state_dir("spatial-s3")``)
    through ``local_services.shared``, so concurrent processes find one server.
    """
    base = Path(folder) if folder else state_dir(STATE_NAME)
    server = shared_servers(base, _start_session)["s3"]
    return LocalSession(f"{LOOPBACK}:{server.port}", f"{server.port}-{server.pid}", base)
