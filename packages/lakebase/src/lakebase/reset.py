"""``lakebase-reset``: put a table flagged for review back in line, once its cause is fixed."""

import argparse
import sys

from lakebase.client import LakebaseClient


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("control_key", help="the table's control_key")
    parser.add_argument(
        "conninfo",
        nargs="?",
        default="",
        help="libpq connection string; empty uses the PG* environment variables",
    )
    args = parser.parse_args(argv)
    if LakebaseClient(args.conninfo).reset_table(args.control_key):
        print(f"{args.control_key}: reset (status NULL, retry_count 0, due now)")
        return 0
    print(f"{args.control_key}: not reset (unknown, or a load is Queued / In Progress)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
