"""One local session: a moto S3 server and a MongoDB wire server shared by every process of
a ``dg dev`` session.

Both keep their data in memory, so the local lake and its ledger live exactly as long as
their servers, which ``scripts/dev`` stops when it exits (``python -m local_services.stop``):
the two start together and never disagree.
"""

from dataclasses import dataclass
from pathlib import Path

from local_services import ServerProcess, start_mongodb_server, start_s3_server, state_dir
from local_services.network import LOOPBACK
from local_services.shared import shared_servers, stop_shared

STATE_NAME = "spatial-s3"
SERVERS = ("s3", "mongodb")


@dataclass(frozen=True)
class LocalSession:
    endpoint: str  # host:port of the S3 server
    mongodb_uri: str  # mongodb:// URI of the ledger's server
    folder: Path
    session_id: str  # changes whenever new servers start (an empty lake and ledger)


def _start_session(folder: Path) -> dict[str, ServerProcess]:
    """New servers, and so a new session: an empty lake and an empty ledger."""
    s3 = start_s3_server(log_file=folder / "server.log")
    try:
        mongodb = start_mongodb_server(log_file=folder / "mongodb.log")
    except Exception:
        s3.stop()
        raise
    return {"s3": s3, "mongodb": mongodb}


def local_session(folder: str = "") -> LocalSession:
    """The running session's servers, starting them (a new session) when one does not answer.

    They are recorded in ``<folder>/servers.json`` (default ``state_dir("spatial-s3")``)
    through ``local_services.shared``, so concurrent processes find the same servers.
    """
    base = Path(folder) if folder else state_dir(STATE_NAME)
    servers = shared_servers(base, _start_session)
    if any(name not in servers for name in SERVERS):
        # Recorded by an older version (no ledger server): start the pair afresh.
        stop_shared(base)
        servers = shared_servers(base, _start_session)
    s3 = servers["s3"]
    return LocalSession(
        f"{LOOPBACK}:{s3.port}", servers["mongodb"].url, base, f"{s3.port}-{s3.pid}"
    )
