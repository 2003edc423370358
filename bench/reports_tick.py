"""How the reports location scales with the size of the catalogue.

1. Discovery: list N reports from the Django simulator over HTTP (pages of 100), compare
   with the stored catalogue and store the new one. Baseline: the same pages fetched with
   plain httpx and parsed as JSON (no validation, no diff, no write).
2. Due-run evaluation: one tick of the shared evaluation (window from the cursor, due times,
   run-key lookup in a SQLite run storage, partitions, cursor), first on an empty instance
   and then again once its runs exist. Baseline: one croniter walk per report, no grouping,
   no storage. Reported as a ratio to the 100-report tick (target: 10,000 under 2 s).
3. Catch-up after a 25 h outage at ``--outage-reports`` reports: the tick after the outage
   against the steady tick of the same catalogue, in the same run (target: within 2x), with
   the run requests of each (never more than the cap, ``max_run_requests_per_tick``) and the
   log lines it writes; then the next tick, which takes the due times the cap carried.
4. Definitions load in the ``pipeline`` approach (one job per report) with 1,000 reports
   against the empty catalogue, each in a fresh process (target: at most 2x)::

    uv run python bench/reports_tick.py [--sizes 100 1000 10000] [--outage-reports 10000]
        [--load-reports 1000] [--only discovery ticks outage load]
"""

import argparse
import datetime as dt
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import httpx
from croniter import croniter
from dagster._core.test_utils import create_run_for_test
from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType

from report_simulators import DEFAULT_PASSWORD, DEFAULT_USERNAME, DjangoSimulator, serve_in_thread
from reports.catalogue import Catalogue, diff_catalogues
from reports.catalogue_state import CatalogueState, write_catalogue
from reports.resources import DjangoApiResource
from reports.scheduling.tick import CatchupLimits, evaluate_tick
from reports.sensors.discovery import discover_catalogue
from reports.testing import catalogue_of

NOW = dt.datetime(2026, 1, 5, 10, 0, 30, tzinfo=dt.UTC)  # a Monday, just after 10:00
# The ticks section measures evaluation at scale, every due run requested in one tick.
UNCAPPED = CatchupLimits(max_run_requests_per_tick=10**9)
QUIET = logging.getLogger("reports-bench")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


class CountingHandler(logging.Handler):
    """Formats every record, as a real handler would, and counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)
        self.lines += 1


def counting_logger() -> tuple[logging.Logger, CountingHandler]:
    handler = CountingHandler()
    logger = logging.getLogger(f"reports-bench-{id(handler)}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, handler


def create_runs(instance: dg.DagsterInstance, requests: list[dg.RunRequest]) -> None:
    """What the daemon does: one run per request, run key and partition as tags."""
    for request in requests:
        create_run_for_test(
            instance,
            job_name="process_report_job",
            tags={
                **request.tags,
                "dagster/run_key": str(request.run_key),
                "dagster/partition": str(request.partition_key),
            },
        )


def crons(n: int, seed: int = 7) -> list[str]:
    """A realistic mix: hourly at every minute offset, every 5/15 min, daily, weekday, monthly."""
    rng = random.Random(seed)
    kinds = [
        lambda: f"{rng.randrange(60)} * * * *",
        lambda: "*/5 * * * *",
        lambda: "*/15 * * * *",
        lambda: f"{rng.randrange(60)} {rng.randrange(24)} * * *",
        lambda: f"0 {rng.randrange(24)} * * 1-5",
        lambda: f"30 2 {rng.randrange(1, 29)} * *",
    ]
    return [rng.choice(kinds)() for _ in range(n)]


def raw_entries(n: int) -> list[dict[str, object]]:
    return [
        {"id": i, "name": f"report {i}", "cron": cron, "active": True, "event_group": 1}
        for i, cron in enumerate(crons(n), start=1)
    ]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_discovery(sizes: list[int], repeat: int) -> None:
    print("discovery (list + diff + store)        seconds   baseline (httpx+json)   ratio")
    simulator = DjangoSimulator()
    with serve_in_thread(simulator.app) as url, tempfile.TemporaryDirectory() as folder:
        state = CatalogueState(
            "bench", DefsStateManagementType.LOCAL_FILESYSTEM, Path(folder), Path(folder)
        )
        os.environ.setdefault("DJANGO_PASSWORD", DEFAULT_PASSWORD)
        api = DjangoApiResource(
            base_url=url, username=DEFAULT_USERNAME, password=dg.EnvVar("DJANGO_PASSWORD")
        )
        for n in sizes:
            simulator.replace_catalogue(raw_entries(n))
            previous = Catalogue()

            def ours(previous: Catalogue = previous) -> None:
                catalogue = discover_catalogue(api)
                diff_catalogues(previous, catalogue)
                state.write(catalogue)

            login = {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}
            token = httpx.post(f"{url}/api/token/", json=login).json()["access"]

            def baseline(token: str = token, n: int = n) -> None:
                with httpx.Client(
                    base_url=url, headers={"Authorization": f"Bearer {token}"}
                ) as http:
                    page, count = 1, 0
                    while True:
                        body = http.get(
                            "/api/reports/", params={"page": page, "page_size": 100}
                        ).json()
                        count += len(body["data"])
                        if not body.get("next"):
                            break
                        page += 1
                    assert count == n

            ours_s, base_s = best(ours, repeat), best(baseline, repeat)
            print(
                f"  {n:>6} reports                        {ours_s:7.3f}   {base_s:7.3f}                 {ours_s / base_s:5.2f}x"
            )


def bench_ticks(sizes: list[int], repeat: int) -> None:
    print("due-run tick                first     steady   baseline (croniter loop)  vs 100")
    first_100 = None
    for n in sizes:
        reports = catalogue_of(
            *((i, f"report {i}", c) for i, c in enumerate(crons(n), start=1))
        ).reports

        def baseline(reports: list = reports) -> int:
            start = NOW - dt.timedelta(seconds=60)
            due = 0
            for report in reports:
                if croniter(report.cron, start).get_next(dt.datetime) <= NOW:
                    due += 1
            return due

        firsts, steadies, requested = [], [], 0
        for _ in range(repeat):
            with dg.instance_for_test() as instance:
                started = time.perf_counter()
                outcome = evaluate_tick(
                    instance, reports, NOW, dt.timedelta(seconds=60), UNCAPPED, QUIET
                )
                firsts.append(time.perf_counter() - started)
                requested = len(outcome.requests)
                create_runs(instance, outcome.requests)
                started = time.perf_counter()
                again = evaluate_tick(
                    instance,
                    reports,
                    NOW + dt.timedelta(seconds=60),
                    dt.timedelta(seconds=60),
                    CatchupLimits(),
                    QUIET,
                )
                steadies.append(time.perf_counter() - started)
                assert again.already_requested == requested  # the recheck finds every run
        first, steady, base = min(firsts), min(steadies), best(baseline, repeat)
        first_100 = first_100 or first
        print(
            f"  {n:>6} reports ({requested:>5} due)  {first:7.3f}s  {steady:7.3f}s  {base:7.3f}s"
            f"                  {first / first_100:6.1f}x"
        )


def bench_outage(n: int, repeat: int) -> None:
    """The tick after a 25 h outage against the steady tick, same catalogue, same instance."""
    reports = catalogue_of(
        *((i, f"report {i}", c) for i, c in enumerate(crons(n), start=1))
    ).reports
    limits = CatchupLimits()
    setup = UNCAPPED  # the state before the outage: every due run requested
    minute = dt.timedelta(seconds=60)
    before = NOW - dt.timedelta(hours=25)
    steadies, outages, carried = [], [], []
    lines = {"steady": 0, "outage": 0, "carry": 0}
    requests = {"steady": 0, "outage": 0, "carry": 0}
    for _ in range(repeat):
        with dg.instance_for_test() as instance:
            first = evaluate_tick(instance, reports, before, minute, setup, QUIET)
            create_runs(instance, first.requests)
            logger, handler = counting_logger()
            started = time.perf_counter()
            steady = evaluate_tick(instance, reports, before + minute, minute, limits, logger)
            steadies.append(time.perf_counter() - started)
            lines["steady"], requests["steady"] = handler.lines, len(steady.requests)
            create_runs(instance, steady.requests)
            logger, handler = counting_logger()
            started = time.perf_counter()
            outage = evaluate_tick(instance, reports, NOW, minute, limits, logger)
            outages.append(time.perf_counter() - started)
            lines["outage"], requests["outage"] = handler.lines, len(outage.requests)
            assert len(outage.requests) <= limits.max_run_requests_per_tick
            create_runs(instance, outage.requests)
            logger, handler = counting_logger()
            started = time.perf_counter()
            carry = evaluate_tick(instance, reports, NOW + minute, minute, limits, logger)
            carried.append(time.perf_counter() - started)
            lines["carry"], requests["carry"] = handler.lines, len(carry.requests)
            assert len(carry.requests) <= limits.max_run_requests_per_tick
            keys = {str(r.run_key) for r in outage.requests}
            assert not keys & {str(r.run_key) for r in carry.requests}  # exactly once
    steady_s, outage_s, carry_s = min(steadies), min(outages), min(carried)
    cap = limits.max_run_requests_per_tick
    print(f"catch-up after a 25 h outage, {n} reports (cap {cap} run requests per tick)")
    print("                                  seconds   run requests   log lines   vs steady")
    for label, seconds, key in [
        ("steady tick (60 s after the last)", steady_s, "steady"),
        ("first tick after the outage", outage_s, "outage"),
        ("next tick (carried due times)", carry_s, "carry"),
    ]:
        print(
            f"  {label:<32} {seconds:7.3f}   {requests[key]:>12}   {lines[key]:>9}"
            f"   {seconds / steady_s:6.2f}x"
        )


LOAD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from dagster.components.core.component_tree import ComponentTree
from reports.components import ReportsOrchestrator
imported = time.perf_counter()
component = ReportsOrchestrator.model_validate({"scheduling_approach": "pipeline"})
state = Path(sys.argv[1]) if sys.argv[1] != "-" else None
defs = component.build_defs_from_state(ComponentTree.for_test().load_context, state)
repository = defs.get_repository_def()
jobs = len(repository.get_all_jobs())
done = time.perf_counter()
print(json.dumps({"import": imported - started, "build": done - imported, "jobs": jobs}))
"""


def load_once(state: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, state], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_load(reports: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state"
        entries = ((i, f"report {i}", c) for i, c in enumerate(crons(reports), start=1))
        write_catalogue(catalogue_of(*entries), path)
        empty = [load_once("-") for _ in range(repeat)]
        full = [load_once(str(path)) for _ in range(repeat)]
    e_total = min(r["import"] + r["build"] for r in empty)
    f_total = min(r["import"] + r["build"] for r in full)
    e_build = min(r["build"] for r in empty)
    f_build = min(r["build"] for r in full)
    print("definitions load, pipeline approach     import+build   build only   jobs")
    print(
        f"  empty catalogue                        {e_total:7.3f}s     {e_build:7.3f}s   {int(empty[0]['jobs'])}"
    )
    print(
        f"  {reports} reports                         {f_total:7.3f}s     {f_build:7.3f}s   {int(full[0]['jobs'])}"
    )
    print(f"  ratio (target <= 2x)                   {f_total / e_total:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--outage-reports", type=int, default=10000)
    parser.add_argument("--load-reports", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        nargs="+",
        default=["discovery", "ticks", "outage", "load"],
        choices=["discovery", "ticks", "outage", "load"],
    )
    args = parser.parse_args()
    if "discovery" in args.only:
        bench_discovery(args.sizes, args.repeat)
    if "ticks" in args.only:
        bench_ticks(args.sizes, args.repeat)
    if "outage" in args.only:
        bench_outage(args.outage_reports, args.repeat)
    if "load" in args.only:
        bench_load(args.load_reports, args.repeat)


if __name__ == "__main__":
    main()
