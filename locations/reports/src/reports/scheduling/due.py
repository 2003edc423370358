"""When reports are due: cron validation and the due times inside an evaluation window.

Pure functions of the catalogue and two instants, shared by the three scheduling
approaches. Cron expressions are read in UTC. A due time ``T`` of report ``R`` is a run
key ``R:T`` (``T`` in ISO 8601), the same whichever approach requests it.
"""

import bisect
import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from croniter import CroniterError, croniter


def cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a usable five-field cron, or ``None`` when it is."""
    parsed = _parsed(expression.strip())
    return parsed if isinstance(parsed, str) else None


@lru_cache(maxsize=16_384)
def _parsed(expression: str) -> croniter | str:
    """The expression parsed once per process (parsing dominates a tick), or why it is bad."""
    if len(expression.split()) != 5:
        return f"cron '{expression}' must have five fields (minute hour day month weekday)"
    try:
        return croniter(expression, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    except (CroniterError, ValueError):
        return f"cron '{expression}' is not a valid cron expression"


def run_key(report_id: int, due_at: dt.datetime) -> str:
    return f"{report_id}:{due_at.isoformat()}"


def due_times(expression: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Fire times ``T`` of ``expression`` with ``start < T <= end`` (UTC, oldest first)."""
    if end <= start:
        return []
    parsed = _parsed(expression.strip())
    if isinstance(parsed, str):
        raise ValueError(parsed)
    it = copy.copy(parsed)  # shares the parsed fields, not the position
    it.set_current(start.astimezone(dt.UTC), force=True)
    times = []
    while True:
        nxt: dt.datetime = it.get_next(dt.datetime)
        if nxt > end:
            return times
        times.append(nxt)


class Schedulable(Protocol):
    @property
    def report_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def cron(self) -> str: ...


@dataclass(frozen=True)
class DueRun:
    report_id: int
    name: str
    cron: str
    due_at: dt.datetime

    @property
    def run_key(self) -> str:
        return run_key(self.report_id, self.due_at)

    @property
    def partition_key(self) -> str:
        return str(self.report_id)


@dataclass(frozen=True)
class InvalidCron:
    report_id: int
    name: str
    reason: str

    @property
    def message(self) -> str:
        return f"Report {self.report_id} ({self.name}) skipped: {self.reason}"


@dataclass
class DueEvaluation:
    """The due runs of one window; ``dropped`` are older due times beyond the catch-up cap."""

    start: dt.datetime
    end: dt.datetime
    due: list[DueRun] = field(default_factory=list)
    invalid: list[InvalidCron] = field(default_factory=list)
    dropped: list[DueRun] = field(default_factory=list)


def evaluate_due(
    reports: Iterable[Schedulable],
    start: dt.datetime,
    end: dt.datetime,
    *,
    catchup: tuple[dt.datetime, dt.datetime] | None = None,
    max_catchup_per_report: int = 5,
) -> DueEvaluation:
    """Every report's due times in ``(start, end]``.

    Due times inside ``catchup`` (``(after, before]``) were missed while nothing evaluated
    (a restart, an outage): of those, each report keeps its latest ``max_catchup_per_report``
    and the older ones land in ``dropped``. Reports sharing a cron expression share one
    computation, so thousands of reports over a few dozen distinct schedules cost a few
    dozen cron walks. A report whose cron is invalid lands in ``invalid``; the others go on.
    """
    evaluation = DueEvaluation(start=start, end=end)
    times_by_cron: dict[str, Sequence[dt.datetime]] = {}
    drop_by_cron: dict[str, range] = {}
    for report in reports:
        expression = report.cron.strip()
        if reason := cron_error(expression):
            evaluation.invalid.append(InvalidCron(report.report_id, report.name, reason))
            continue
        times = times_by_cron.get(expression)
        if times is None:
            times = times_by_cron[expression] = due_times(expression, start, end)
            drop_by_cron[expression] = _dropped(times, catchup, max_catchup_per_report)
        if not times:
            continue
        dropped = drop_by_cron[expression]
        for index, when in enumerate(times):
            run = DueRun(report.report_id, report.name, expression, when)
            (evaluation.dropped if index in dropped else evaluation.due).append(run)
    return evaluation


def _dropped(
    times: Sequence[dt.datetime], catchup: tuple[dt.datetime, dt.datetime] | None, keep: int
) -> range:
    """Indices of the missed due times beyond the latest ``keep`` of them."""
    if catchup is None:
        return range(0)
    first = bisect.bisect_right(times, catchup[0])
    last = bisect.bisect_right(times, catchup[1])
    return range(first, max(first, last - max(keep, 0)))
