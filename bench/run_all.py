"""Run every benchmark under bench/ and write their figures to docs/performance.md.

    uv run python bench/run_all.py            # quick mode: small sizes, one repeat (minutes)
    uv run python bench/run_all.py --full     # each benchmark's own defaults (much longer)
    uv run python bench/run_all.py --only dev_serve location_load

Each benchmark measures its own baseline in the same run and prints both; this runs them one
after another (each in a fresh interpreter, its stderr kept apart), and writes what each
printed, with its command, the date, and the machine's load average before and after it.
A benchmark that fails is reported as failed and the others still run.
"""

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "performance.md"


@dataclass(frozen=True)
class Benchmark:
    script: str
    what: str
    quick: tuple[str, ...]  # arguments of quick mode (the default)


BENCHMARKS = (
    Benchmark("dev_serve", "`./scripts/dev` until every location serves, vs `dg dev` on empty projects", ("--repeat", "1")),
    Benchmark("location_load", "each location's load in its own venv vs the shared `.venv`", ("--repeat", "1")),
    Benchmark("master_sensor", "dataloader: master_sensor tick by table_control size", ("--rows", "1000", "10000", "--ticks", "10")),
    Benchmark("table_load", "dataloader: table load vs raw COPY and ADBC to Delta", ("--rows", "200000", "--repeat", "1")),
    Benchmark("gcs_new_file_sensor", "estore: gcs_new_file_sensor tick by files in the bucket", ("--sizes", "1000", "10000", "--repeat", "2")),
    Benchmark("estore_load", "estore: CSV load into DuckDB vs DuckDB's read_csv", ("--rows", "200000", "--repeat", "1")),
    Benchmark("reports_tick", "reports: discovery and due-run ticks by catalogue size", ("--sizes", "100", "1000", "--load-reports", "200", "--repeat", "1")),
    Benchmark("django_api_listing", "reports: catalogue listing through the client vs raw httpx", ("--reports", "100", "1000", "--page-size", "100", "--repeat", "1")),
    Benchmark("fabric_store_write", "reports: atomic result replace vs plain deltalake writes", ("--rows", "1000", "10000", "--repeat", "1")),
    Benchmark("spatial_sensor_tick", "spatial_etl: lane sensor tick by objects in landing-zone", ("--sizes", "1000", "10000", "--rounds", "2")),
    Benchmark("spatial_vector_ingest", "spatial_etl: vector ingest vs ogr2ogr", ("--features", "100000", "--repeat", "1")),
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    benchmark: Benchmark
    command: str
    output: str
    ok: bool
    seconds: float
    load_before: float
    load_after: float


def run(benchmark: Benchmark, full: bool) -> Outcome:
    argv = [f"bench/{benchmark.script}.py", *([] if full else benchmark.quick)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    output = done.stdout.strip()
    if done.returncode != 0:
        output += f"\n(failed, exit {done.returncode}):\n" + done.stderr.strip()[-2000:]
    command = "uv run python " + " ".join(argv)
    print(f"== {command}  ({seconds:.0f} s)\n{output}\n", flush=True)
    return Outcome(
        benchmark, command, output, done.returncode == 0, seconds, load_before, os.getloadavg()[0]
    )


def report(outcomes: list[Outcome], full: bool) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "full" if full else "quick"
    lines = [
        "# Performance",
        "",
        "Every figure below comes with its baseline, measured in the same run by the same",
        "script. Written by `uv run python bench/run_all.py` "
        f"({mode} mode) on {date}, on {os.cpu_count()} cores.",
        "The load average (1 minute) before and after each benchmark is given: figures",
        "measured at a load above the core count were measured under load (other jobs",
        "running) and are noisy in absolute terms; the ratios to their baselines hold better.",
        "",
    ]
    for o in outcomes:
        state = "" if o.ok else " (FAILED)"
        lines += [
            f"## {o.benchmark.script}{state}",
            "",
            f"{o.benchmark.what}.",
            "",
            f"Command: `{o.command}` ({o.seconds:.0f} s, load average "
            f"{o.load_before:.1f} before, {o.load_after:.1f} after)",
            "",
            "```",
            o.output,
            "```",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each benchmark's own defaults")
    parser.add_argument("--only", nargs="+", choices=[b.script for b in BENCHMARKS])
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b.script in args.only]
    outcomes: list[Outcome] = []
    for (
        benchmark
    ) in chosen:  # the report is rewritten after each, so a stopped run keeps its figures
        outcomes.append(run(benchmark, args.full))
        args.report.write_text(report(outcomes, args.full) + "\n")
    print(f"wrote {args.report}")
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


if __name__ == "__main__":
    main()
