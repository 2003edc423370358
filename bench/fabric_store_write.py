"""FabricStore's atomic replace of one (report, due time) against plain deltalake writes.

For each size N, a local Delta table first holds the results of 200 other report runs.
Then N Fireant-like result rows (Python dicts, as the client returns them) are written
through ``FabricStore.write_report_results`` (JSON payload column, predicate overwrite in
one commit), and written again (a rerun that replaces them). Two baselines run on the
same rows in the same process:

- typed replace: ``pa.Table.from_pylist(rows)`` then ``write_deltalake(mode="overwrite",
  predicate=...)`` on a table of typed columns (what one table per result schema costs);
- raw append: ``write_deltalake(mode="append")`` of an Arrow table already built (the
  floor: no conversion from Python, no predicate).

    uv run python bench/fabric_store_write.py [--rows 1000 10000 100000] [--repeat 3]
"""

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from fabric_store import FabricStore, local_location

DUE = dt.datetime(2026, 1, 1, 6, tzinfo=dt.UTC)
PREDICATE = "report_id = 1 AND due_time = '2026-01-01T06:00:00.000000Z'"


def result_rows(n: int, report_id: int | None = None) -> list[dict[str, object]]:
    extra = {} if report_id is None else {"report_id": report_id, "due_time": DUE}
    return [
        {
            "event_id": i,
            "job_type": "geo",
            "exposure": i * 0.85,
            "as_at_date": "2026-01-01",
            **extra,
        }
        for i in range(n)
    ]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def one_round(folder: Path, n: int, others: int) -> tuple[float, float, float, float]:
    rows = result_rows(n)
    store = FabricStore(local_location(folder / "results"))
    typed_uri = str(folder / "typed")
    for report_id in range(1000, 1000 + others):
        store.write_report_results(
            report_id=report_id, due_time=DUE, fireant_job_id="j", run_id="r", rows=result_rows(50)
        )
        write_deltalake(typed_uri, pa.Table.from_pylist(result_rows(50, report_id)), mode="append")

    def write(run_id: str) -> None:
        store.write_report_results(
            report_id=1, due_time=DUE, fireant_job_id="j", run_id=run_id, rows=rows
        )

    first = timed(lambda: write("first"))
    replace = timed(lambda: write("rerun"))
    assert store.count_rows() == others * 50 + n  # replaced, not duplicated

    typed_rows = result_rows(n, 1)
    write_deltalake(typed_uri, pa.Table.from_pylist(typed_rows), mode="append")
    typed = timed(
        lambda: write_deltalake(
            typed_uri, pa.Table.from_pylist(typed_rows), mode="overwrite", predicate=PREDICATE
        )
    )
    arrow = pa.Table.from_pylist(rows)
    raw_uri = str(folder / "raw")
    write_deltalake(raw_uri, arrow, mode="append")
    raw = timed(lambda: write_deltalake(raw_uri, arrow, mode="append"))
    return first, replace, typed, raw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--others", type=int, default=200)
    args = parser.parse_args()

    print(f"median of {args.repeat}; table holds {args.others} other report runs; seconds")
    header = (
        "rows",
        "first write",
        "replace",
        "typed replace",
        "raw append",
        "replace/typed",
        "replace/raw",
    )
    print("".join(f"{h:>15}" for h in header))
    for n in args.rows:
        samples = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                samples.append(one_round(Path(folder), n, args.others))
        first, replace, typed, raw = (statistics.median(s) for s in zip(*samples, strict=True))
        figures = [f"{n:>15}", *(f"{x:>15.3f}" for x in (first, replace, typed, raw))]
        figures += [f"{replace / typed:>14.1f}x", f"{replace / raw:>14.1f}x"]
        print("".join(figures))


if __name__ == "__main__":
    main()
