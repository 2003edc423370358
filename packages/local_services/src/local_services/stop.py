"""``python -m local_services.stop [DAGSTER_HOME]``: stop the local clusters started there."""

import os
import sys
from pathlib import Path

from local_services.state import stop_local_clusters


def main(argv: list[str]) -> int:
    home = Path(argv[0] if argv else os.environ["DAGSTER_HOME"])
    for path in stop_local_clusters(home):
        print(f"stopped the local Postgres in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
