"""Local table load against raw COPY and the best Arrow loader, at 1M and 4M rows.

Starts its own Postgres, creates tables of N rows, then measures each pipeline in a fresh
child process (so peak RSS and CPU belong to that run alone):

- copy: ``COPY (SELECT * FROM t) TO STDOUT`` read and discarded (the ceiling);
- adbc→delta: the ADBC Postgres driver (COPY binary straight into Arrow) feeding
  ``deltalake.write_deltalake``, defaults, in one call (the baseline to match);
- load: ``table_loader.run_load``, a full load into a local Delta table (the project's).

Each line gives rows/s, the client's CPU seconds (user + system, all threads) and its peak
RSS; the summary gives the load against adbc→delta (rows/s and CPU per row) and each
pipeline's peak memory at the largest size against the smallest.

    uv run python bench/table_load.py [--rows 1000000 4000000] [--repeat 3]
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg
from psycopg import sql

CREATE = """
DROP TABLE IF EXISTS {name};
CREATE TABLE {name} AS
SELECT i::int8 AS id,
       timestamptz '2026-01-01' + i * interval '1 second' AS updated_at,
       'customer ' || (i % 5000) AS name,
       round((i % 100000) / 7.0, 2)::numeric(12, 2) AS amount,
       i % 3 = 0 AS flag
FROM generate_series(1, {rows}) AS i;
ANALYZE {name};
"""
KINDS = ("copy", "adbc_delta", "load")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_copy(dsn: str, table: str, target: Path) -> int | None:
    rows = 0
    query = sql.SQL("COPY (SELECT * FROM {}) TO STDOUT").format(sql.Identifier(table))
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor, cursor.copy(query) as copy:
        for chunk in copy:
            rows += bytes(chunk).count(b"\n")
    return rows


def child_adbc_delta(dsn: str, table: str, target: Path) -> int | None:
    import adbc_driver_postgresql.dbapi as adbc
    from deltalake import write_deltalake

    with adbc.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - a name this script made
        write_deltalake(str(target), cursor.fetch_record_batch(), mode="overwrite")
    return None  # counted from the Delta table afterwards


def child_load(dsn: str, table: str, target: Path) -> int | None:
    from table_loader import LoadRequest, run_load

    url = urlparse(dsn)
    result = run_load(
        LoadRequest(
            control_key=f"bench.{table}",
            db_type="postgres",
            db_config={
                "host": url.hostname,
                "port": url.port,
                "database": url.path.lstrip("/"),
                "user": url.username,
            },
            source_schema="public",
            source_table=table,
            destination_uri=str(target),
            load_strategy="full",
        )
    )
    return result.rows_loaded


CHILDREN = {"copy": child_copy, "adbc_delta": child_adbc_delta, "load": child_load}


def run_child(kind: str, dsn: str, table: str) -> None:
    # Import what the pipeline needs before the clock starts: imports are not throughput.
    import deltalake
    import pyarrow  # noqa: F401

    import table_loader  # noqa: F401

    with tempfile.TemporaryDirectory() as target:
        cpu, started = _cpu_seconds(), time.perf_counter()
        rows = CHILDREN[kind](dsn, table, Path(target) / table)
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        if rows is None:
            rows = deltalake.DeltaTable(str(Path(target) / table)).count()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}))


def run_once(kind: str, dsn: str, table: str) -> dict[str, float]:
    """One run of ``kind`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--dsn", dsn, "--table", table],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(dsn: str, table: str, repeat: int) -> dict[str, dict[str, float]]:
    """The median of ``repeat`` runs of each pipeline. Runs take turns (copy, adbc→delta,
    load, then rotated), so a busy machine slows every pipeline alike."""
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
    for round_number in range(repeat):
        shift = round_number % len(KINDS)
        for kind in KINDS[shift:] + KINDS[:shift]:
            runs[kind].append(run_once(kind, dsn, table))
    return {
        kind: {key: statistics.median(run[key] for run in kind_runs) for key in kind_runs[0]}
        for kind, kind_runs in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=KINDS)
    parser.add_argument("--dsn")
    parser.add_argument("--table")
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.dsn, args.table)
        return

    from platform_testing import throwaway_cluster

    figures: dict[tuple[str, int], dict[str, float]] = {}
    with throwaway_cluster("bench-load-") as cluster:
        dsn = cluster.create_database("bench_source")
        print(
            f"{'rows':>9} {'pipeline':<11} {'rows/s':>11} {'CPU s':>7} "
            f"{'CPU µs/row':>10} {'peak MB':>8} {'vs COPY':>8}"
        )
        for rows in args.rows:
            table = f"t{rows}"
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(
                    sql.SQL(CREATE).format(name=sql.Identifier(table), rows=sql.Literal(rows))
                )
            medians = measure(dsn, table, args.repeat)
            for kind in KINDS:
                run = figures[kind, rows] = medians[kind]
                assert run["rows"] == rows, (kind, run)
                rate = rows / run["seconds"]
                copy_rate = rows / figures["copy", rows]["seconds"]
                print(
                    f"{rows:>9} {kind:<11} {rate:>11,.0f} {run['cpu']:>7.2f} "
                    f"{run['cpu'] / rows * 1e6:>10.2f} {run['peak_mb']:>8.0f} "
                    f"{rate / copy_rate:>7.2f}x"
                )
    print()
    for rows in args.rows:
        load, adbc = figures["load", rows], figures["adbc_delta", rows]
        print(
            f"{rows:>9} rows: load/adbc→delta rows/s {adbc['seconds'] / load['seconds']:.2f}x "
            f"(target >= 1.00), CPU per row {load['cpu'] / adbc['cpu']:.2f}x (target <= 1.00)"
        )
    small, large = min(args.rows), max(args.rows)
    if small != large:
        for kind in KINDS:
            growth = figures[kind, large]["peak_mb"] / figures[kind, small]["peak_mb"]
            target = " (target <= 1.25)" if kind == "load" else ""
            print(f"peak memory {kind} {large:,} / {small:,} rows: {growth:.2f}x{target}")


if __name__ == "__main__":
    main()
