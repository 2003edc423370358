"""Local table load throughput against Postgres' own COPY, and the load's peak memory.

Starts its own Postgres, creates tables of N rows, then measures each run in a fresh child
process (so peak RSS belongs to that run alone):

- copy: ``COPY (SELECT * FROM t) TO STDOUT`` read and discarded (the ceiling);
- load: ``table_loader.run_load``, a full load into a local Delta table.

    uv run python bench/table_load.py [--rows 10000 1000000]
"""

import argparse
import json
import resource
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


def child_copy(dsn: str, table: str) -> dict[str, float]:
    started = time.perf_counter()
    size = 0
    query = sql.SQL("COPY (SELECT * FROM {}) TO STDOUT").format(sql.Identifier(table))
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cursor,
        cursor.copy(query) as copy,
    ):
        for chunk in copy:
            size += len(chunk)
    return {"seconds": time.perf_counter() - started, "bytes": size}


def child_load(dsn: str, table: str) -> dict[str, float]:
    from table_loader import LoadRequest, run_load

    url = urlparse(dsn)
    with tempfile.TemporaryDirectory() as target:
        started = time.perf_counter()
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
                destination_uri=str(Path(target) / table),
                load_strategy="full",
            )
        )
        return {"seconds": time.perf_counter() - started, "rows": result.rows_loaded}


def measure(kind: str, dsn: str, table: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--dsn", dsn, "--table", table],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--child", choices=["copy", "load"])
    parser.add_argument("--dsn")
    parser.add_argument("--table")
    args = parser.parse_args()
    if args.child:
        figures = (child_copy if args.child == "copy" else child_load)(args.dsn, args.table)
        figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return

    from platform_testing import throwaway_cluster

    with throwaway_cluster("bench-load-") as cluster:
        dsn = cluster.create_database("bench_source")
        print(
            f"{'rows':>9} {'COPY rows/s':>12} {'load rows/s':>12} {'load/COPY':>9} {'load peak MB':>12}"
        )
        peaks: dict[int, float] = {}
        for rows in args.rows:
            table = f"t{rows}"
            with psycopg.connect(dsn) as conn:
                conn.execute(
                    sql.SQL(CREATE).format(name=sql.Identifier(table), rows=sql.Literal(rows))
                )
            copy = measure("copy", dsn, table)
            load = measure("load", dsn, table)
            assert load["rows"] == rows
            copy_rate, load_rate = rows / copy["seconds"], rows / load["seconds"]
            peaks[rows] = load["peak_mb"]
            print(
                f"{rows:>9} {copy_rate:>12,.0f} {load_rate:>12,.0f} "
                f"{load_rate / copy_rate:>9.2f} {load['peak_mb']:>12.0f}"
            )
        if len(peaks) > 1:
            small, large = min(peaks), max(peaks)
            print(
                f"peak memory {large:,} rows / {small:,} rows: {peaks[large] / peaks[small]:.2f}x"
            )


if __name__ == "__main__":
    main()
