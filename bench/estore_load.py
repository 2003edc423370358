"""estore's local load of one CSV file against DuckDB's own ``read_csv``, with peak memory.

Writes a deterministic events CSV (``estore.sample_data``), then measures each load in a
fresh child process (so peak RSS belongs to that load alone), each into a new database file:

- read_csv: ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` (DuckDB alone, the baseline);
- load: ``DuckDBWarehouse.load_csv``, what ``gcs_to_bq_load_job`` runs locally (header check,
  typed columns, one transaction with the ledger row).

    uv run python bench/estore_load.py [--rows 1000000] [--repeat 2]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(mode: str, csv_path: Path, database: Path) -> dict[str, float]:
    import duckdb

    from estore.resources.warehouse import DuckDBWarehouse

    started = time.perf_counter()
    if mode == "read_csv":
        with duckdb.connect(str(database)) as con:
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv_path)])
            rows = con.execute("SELECT count(*) FROM t").fetchone()
    else:
        warehouse = DuckDBWarehouse(database=str(database))
        result = warehouse.load_csv(
            csv_path, "gs://bench/events.csv", "1", "estore_raw.events", None
        )
        rows = (result.rows,)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": float(rows[0] if rows else 0), "seconds": seconds, "peak_mb": peak_mb}


def measure(mode: str, csv_path: Path, workdir: Path, run: int) -> dict[str, float]:
    database = workdir / f"{mode}-{run}.duckdb"
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(csv_path), str(database)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    database.unlink(missing_ok=True)
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "CSV", "DB"))
    args = parser.parse_args()
    if args.child:
        mode, csv_path, database = args.child
        print(json.dumps(child(mode, Path(csv_path), Path(database))))
        return

    from estore.sample_data import write_events_csv

    with tempfile.TemporaryDirectory(prefix="estore-bench-") as tmp:
        workdir = Path(tmp)
        csv_path = write_events_csv(workdir / "events.csv", args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"file: {args.rows} rows, {size_mb:.0f} MB")
        best: dict[str, dict[str, float]] = {}
        for run in range(args.repeat):
            for mode in ("read_csv", "load"):  # interleaved, so both see the same machine
                result = measure(mode, csv_path, workdir, run)
                if mode not in best or result["seconds"] < best[mode]["seconds"]:
                    best[mode] = result
        for mode, result in best.items():
            rate = result["rows"] / result["seconds"]
            print(
                f"{mode:>9}: {result['rows']:.0f} rows in {result['seconds']:.2f} s = "
                f"{rate:,.0f} rows/s, peak RSS {result['peak_mb']:.0f} MB"
            )
        ratio = best["read_csv"]["seconds"] / best["load"]["seconds"]
        print(f"load / read_csv throughput: {ratio:.2f}x (target >= 0.8x), best of {args.repeat}")


if __name__ == "__main__":
    main()
