"""``python -m local_services.stop [DAGSTER_HOME]``: stop the local services started there.

The Postgres clusters and the shared servers (``local_services.shared``) alike.
"""

import os
import sys
from pathlib import Path

from local_services.shared import stop_shared_servers
from local_services.state import stop_local_clusters


def main(argv: list[str]) -> int:
    home = Path(argv[0] if argv else os.environ["DAGSTER_HOME"])
    for path in stop_local_clusters(home):
        print(f"stopped the local Postgres in {path}")
    for folder, servers in stop_shared_servers(home):
        names = ", ".join(
            f"{name} ({server.url}, pid {server.pid})" for name, server in servers.items()
        )
        print(f"stopped the local servers in {folder}: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
