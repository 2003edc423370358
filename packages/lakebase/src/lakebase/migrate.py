"""Versioned schema migrations for the Lakebase control database.

Migrations are the ``NNNN_name.sql`` files beside this module, applied in order, each in its
own transaction, and recorded in ``schema_migrations``; applying is idempotent and safe to
run from several processes at once (an advisory lock serialises them).
"""

import argparse
import sys
from importlib import resources

import psycopg

_LOCK_ID = 7_262_026  # any constant shared by every migrator of this database


def available_migrations() -> list[tuple[str, str]]:
    """(version, sql) for every migration file, in order."""
    files = resources.files("lakebase.migrations")
    found = [f for f in files.iterdir() if f.name.endswith(".sql")]
    return [
        (f.name.removesuffix(".sql"), f.read_text()) for f in sorted(found, key=lambda f: f.name)
    ]


def apply_migrations(conninfo: str) -> list[str]:
    """Apply the migrations not applied yet; return their versions."""
    applied: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, statements in available_migrations():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(statements.encode())
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "conninfo",
        nargs="?",
        default="",
        help="libpq connection string; empty uses the PG* environment variables",
    )
    args = parser.parse_args(argv)
    applied = apply_migrations(args.conninfo)
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
