"""One evaluation of due reports, whichever approach triggers it.

Reads the shared cursor, evaluates the window, drops due times that already have a run
(run keys are looked up in the run storage, so a run requested by another approach, by
an earlier tick or before a restart counts), makes sure each due report has its partition,
and stores the cursor. The caller turns ``requests`` into its own result type.
"""

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import dagster as dg

from reports.dagster_internals import (
    partitions_of_runs_tagged,
    read_instance_value,
    write_instance_value,
)
from reports.logs import log_json
from reports.runs import PARTITIONS_NAME, RUN_KEY_TAG, run_request
from reports.scheduling.due import DueEvaluation, DueRun, Schedulable, evaluate_due
from reports.scheduling.window import EvaluationCursor, Window, advance, defer, next_window

CURSOR_KEY = "reports/due_runs_cursor"
LOOKUP_CHUNK = 500
MAX_LOGGED_RUNS = 200  # one line per requested run up to this many; the summary counts all

Alert = Callable[[str], None]
_alerted: set[tuple[int, str, str]] = set()  # evaluation failures alerted by this process


@dataclass(frozen=True)
class CatchupLimits:
    """``max_run_requests_per_tick`` bounds a tick (oldest due times first; the cursor
    carries the rest to the next ticks), so a catch-up never outlasts the sensor timeout."""

    max_catchup: dt.timedelta = dt.timedelta(days=1)
    max_runs_per_report: int = 5
    max_run_requests_per_tick: int = 1000


@dataclass
class TickOutcome:
    window: Window
    evaluation: DueEvaluation
    requests: list[dg.RunRequest] = field(default_factory=list)
    already_requested: int = 0
    deferred: int = 0  # fresh due runs beyond the cap, left to the next ticks
    cursor: EvaluationCursor | None = None
    seconds: float = 0.0

    def skip_reason(self) -> str:
        """Why nothing was requested: the window, and what was already requested or invalid."""
        notes = []
        if self.already_requested:
            notes.append(f"{self.already_requested} already requested")
        if self.evaluation.invalid:
            notes.append(
                f"{len(self.evaluation.invalid)} skipped for an invalid cron or a failed evaluation"
            )
        return (
            f"No reports due between {self.window.start.isoformat()} and "
            f"{self.window.end.isoformat()}" + (f" ({'; '.join(notes)})" if notes else "")
        )


def read_cursor(instance: dg.DagsterInstance) -> EvaluationCursor | None:
    return EvaluationCursor.from_json(read_instance_value(instance, CURSOR_KEY))


def write_cursor(instance: dg.DagsterInstance, cursor: EvaluationCursor) -> None:
    write_instance_value(instance, CURSOR_KEY, cursor.to_json())


def requested_run_keys(instance: dg.DagsterInstance, due: Sequence[DueRun]) -> set[str]:
    """The run keys of ``due`` that some run already carries (any job, any approach).

    Keys are looked up a chunk at a time through the run tags index, and each matching run
    is read as its partition only, never as a whole run: every run the triggers request has
    its report as partition, so in a chunk where each report appears once, the partition
    names the key. A catch-up spreads over hundreds of due times, so chunks are cut by
    report (the k-th due time of every report together), not by due time. (Reading whole
    runs, ``get_run_records``, made the steady 10,000-report tick about twice as slow.)
    """
    rounds: list[dict[int, str]] = []
    seen: dict[int, int] = defaultdict(int)
    for run in due:
        occurrence = seen[run.report_id]
        seen[run.report_id] += 1
        if occurrence == len(rounds):
            rounds.append({})
        rounds[occurrence][run.report_id] = run.run_key
    found: set[str] = set()
    for keys_by_report in rounds:
        items = list(keys_by_report.items())
        for index in range(0, len(items), LOOKUP_CHUNK):
            chunk = dict(items[index : index + LOOKUP_CHUNK])
            partitions = partitions_of_runs_tagged(instance, RUN_KEY_TAG, list(chunk.values()))
            found.update(chunk[int(p)] for p in partitions if p.isdigit() and int(p) in chunk)
    return found


def ensure_partitions(instance: dg.DagsterInstance, keys: Iterable[str]) -> list[str]:
    wanted = set(keys)
    if not wanted:
        return []
    missing = sorted(wanted - set(instance.get_dynamic_partitions(PARTITIONS_NAME)))
    if missing:
        instance.add_dynamic_partitions(PARTITIONS_NAME, missing)
    return missing


def evaluate_tick(
    instance: dg.DagsterInstance,
    reports: Iterable[Schedulable],
    now: dt.datetime,
    lookback: dt.timedelta,
    limits: CatchupLimits,
    logger: Any,
    job_for: Callable[[DueRun], str | None] = lambda due: None,
    alert: Alert | None = None,
) -> TickOutcome:
    started = time.perf_counter()
    cursor = read_cursor(instance)
    window = next_window(cursor, now, lookback, limits.max_catchup)
    evaluation = evaluate_due(
        reports,
        window.start,
        window.end,
        catchup=window.catchup,
        max_catchup_per_report=limits.max_runs_per_report,
    )
    fresh, already, deferred = _fresh_within_cap(
        instance, evaluation.due, limits.max_run_requests_per_tick
    )
    ensure_partitions(instance, (due.partition_key for due in fresh))
    # While a catch-up is drained, its drops were logged by the tick that found it.
    reported_through = cursor.catchup_through if cursor and cursor.carried_from else None
    if deferred:
        following = defer(window, deferred[0].due_at)
    else:
        following = advance(cursor, window)
        if evaluation.dropped:
            # Dropped due times stay dropped: the next tick's recheck starts after them.
            latest_dropped = max(dropped.last for dropped in evaluation.dropped)
            following = replace(following, recheck_from=max(following.recheck_from, latest_dropped))
    outcome = TickOutcome(
        window=window,
        evaluation=evaluation,
        requests=[run_request(due, job_for(due)) for due in fresh],
        already_requested=already,
        deferred=len(deferred),
        cursor=following,
    )
    write_cursor(instance, following)
    outcome.seconds = time.perf_counter() - started
    _log(logger, outcome, fresh, reported_through)
    _alert_failures(evaluation, alert)
    return outcome


def _fresh_within_cap(
    instance: dg.DagsterInstance, due: Sequence[DueRun], cap: int
) -> tuple[list[DueRun], int, list[DueRun]]:
    """``(to request, already requested, deferred)``: the oldest ``cap`` due runs without a
    run, looked up a chunk at a time (oldest first) so a catch-up reads only what it asks."""
    fresh: list[DueRun] = []
    deferred: list[DueRun] = []
    already = 0
    chunk = max(LOOKUP_CHUNK, min(cap, 5 * LOOKUP_CHUNK))
    for index in range(0, len(due), chunk):
        part = due[index : index + chunk]
        existing = requested_run_keys(instance, part)
        already += len(existing)
        new = [run for run in part if run.run_key not in existing]
        room = max(cap - len(fresh), 0)
        fresh.extend(new[:room])
        if len(new) > room:
            deferred = new[room:] + list(due[index + chunk :])
            break
    return fresh, already, deferred


def _alert_failures(evaluation: DueEvaluation, alert: Alert | None) -> None:
    """Alert each report whose evaluation raised, once per process and reason."""
    new = [
        failed
        for failed in evaluation.failed
        if (failed.report_id, failed.cron, failed.reason) not in _alerted
    ]
    if not new or alert is None:
        return
    _alerted.update((failed.report_id, failed.cron, failed.reason) for failed in new)
    alert(
        "Report evaluation failed for some reports; the others ran:\n"
        + "\n".join(failed.message for failed in new)
    )


def _log(
    logger: Any, outcome: TickOutcome, fresh: list[DueRun], reported_through: dt.datetime | None
) -> None:
    window = outcome.window
    if window.truncated_from is not None:
        log_json(
            logger,
            "warning",
            "catchup_truncated",
            f"Due times between {window.truncated_from.isoformat()} and {window.start.isoformat()} "
            "are older than the catch-up limit and are not run",
            window_start=window.start,
            truncated_from=window.truncated_from,
        )
    for invalid in outcome.evaluation.invalid:
        log_json(
            logger,
            "error",
            "report_evaluation_failed" if invalid.raised else "invalid_cron",
            invalid.message,
            report_id=invalid.report_id,
            cron=invalid.cron,
        )
    for dropped in outcome.evaluation.dropped:
        if reported_through is not None and dropped.last <= reported_through:
            continue  # logged by the tick that first dropped them
        log_json(
            logger,
            "warning",
            "catchup_dropped",
            dropped.message,
            report_id=dropped.report_id,
            missed_after=dropped.missed_after,
            last_due_at=dropped.last,
        )
    for due in fresh[:MAX_LOGGED_RUNS]:
        log_json(
            logger,
            "info",
            "report_due",
            f"Report {due.report_id} ({due.name}) due at {due.due_at.isoformat()} (cron '{due.cron}')",
            report_id=due.report_id,
            due_at=due.due_at,
            run_key=due.run_key,
        )
    carried = ""
    if outcome.deferred:
        carried = (
            f", up to {outcome.deferred} more carried to the next ticks (cap "
            "max_run_requests_per_tick)"
        )
    log_json(
        logger,
        "info",
        "due_evaluation",
        f"Evaluated ({window.start.isoformat()}, {window.end.isoformat()}]: {len(fresh)} runs requested, "
        f"{outcome.already_requested} already requested, {len(outcome.evaluation.invalid)} invalid"
        + carried,
        requested=len(fresh),
        already_requested=outcome.already_requested,
        carried=outcome.deferred,
        invalid=len(outcome.evaluation.invalid),
        dropped_reports=len(outcome.evaluation.dropped),
        duration_ms=round(outcome.seconds * 1000, 1),
    )
