"""When reports are due: cron validation and the due times inside an evaluation window.

Pure functions of the catalogue and two instants, shared by the three scheduling
approaches. Cron expressions are read in UTC. A due time ``T`` of report ``R`` is a run
key ``R:T`` (``T`` in ISO 8601), the same whichever approach requests it.
"""

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from croniter import CroniterError, croniter

# croniter's own aliases; any other ``@name`` is refused rather than guessed.
ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def cron_error(expression: str) -> str | None:
    """Why ``expression`` cannot produce a due time, or ``None`` when it can."""
    parsed = _parsed(expression.strip())
    return parsed if isinstance(parsed, str) else None


@lru_cache(maxsize=16_384)
def _parsed(expression: str) -> croniter | str:
    """The expression parsed once per process (parsing dominates a tick), or why it is bad.

    Bad means it can never produce a due time: empty, an unknown ``@`` alias, not five
    fields, a value out of range, or a date that never comes (``0 0 31 2 *``: croniter
    builds it and only fails when asked for the next fire time, so that is asked here).
    """
    if not expression:
        return "the cron is empty"
    if expression.startswith("@"):
        if expression.lower() not in ALIASES:
            return f"'{expression}' is not a known alias (use one of {', '.join(ALIASES)})"
    elif len(expression.split()) != 5:
        return f"'{expression}' must have five fields (minute hour day month weekday)"
    try:
        parsed = croniter(expression.lower(), _EPOCH)
    except (CroniterError, ValueError) as exc:
        return f"'{expression}' is not a valid cron expression ({exc})"
    try:
        copy.copy(parsed).get_next(dt.datetime)
    except (CroniterError, ValueError):
        return f"'{expression}' never fires (no such date, e.g. 31 February)"
    return parsed


def run_key(report_id: int, due_at: dt.datetime) -> str:
    return f"{report_id}:{due_at.isoformat()}"


def due_times(expression: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Fire times ``T`` of ``expression`` with ``start < T <= end`` (UTC, oldest first)."""
    if end <= start:
        return []
    it = copy.copy(_checked(expression))  # shares the parsed fields, not the position
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
    """A report left out of an evaluation: its cron cannot be used, or evaluating it raised."""

    report_id: int
    name: str
    reason: str
    cron: str = ""
    raised: bool = False

    @property
    def message(self) -> str:
        what = f"Report {self.report_id} ({self.name}) skipped: {self.reason}"
        if self.raised:
            return (
                f"{what}; the other reports were evaluated. Check its cron '{self.cron}' in the "
                "Django admin; it is evaluated again at the next tick."
            )
        return f"{what}; fix its cron in the Django admin (the next discovery picks it up)."


@dataclass(frozen=True)
class DroppedDueTimes:
    """The missed due times of one report beyond the per-report catch-up limit (not run):
    every due time of its cron after ``missed_after`` up to and including ``last``. Named by
    the missed window's start rather than the first such due time, which would cost one more
    cron step per expression in the tick after an outage."""

    report_id: int
    name: str
    missed_after: dt.datetime
    last: dt.datetime

    @property
    def message(self) -> str:
        return (
            f"Report {self.report_id} ({self.name}): its missed due times after "
            f"{self.missed_after.isoformat()} up to {self.last.isoformat()} are beyond the "
            "per-report catch-up limit (max_catchup_runs_per_report) and are not run"
        )


@dataclass
class DueEvaluation:
    """The due runs of one window (oldest first); ``dropped`` summarises, per report, the
    older missed due times beyond the catch-up limit."""

    start: dt.datetime
    end: dt.datetime
    due: list[DueRun] = field(default_factory=list)
    invalid: list[InvalidCron] = field(default_factory=list)
    dropped: list[DroppedDueTimes] = field(default_factory=list)

    @property
    def failed(self) -> list[InvalidCron]:
        """Reports whose evaluation raised (not merely an invalid cron)."""
        return [entry for entry in self.invalid if entry.raised]


def evaluate_due(
    reports: Iterable[Schedulable],
    start: dt.datetime,
    end: dt.datetime,
    *,
    catchup: tuple[dt.datetime, dt.datetime] | None = None,
    max_catchup_per_report: int = 5,
) -> DueEvaluation:
    """Every report's due times in ``(start, end]``, oldest first.

    Due times inside ``catchup`` (``(after, before]``) were missed while nothing evaluated
    (a restart, an outage): of those, each report keeps its latest ``max_catchup_per_report``
    and the older ones are summarised in ``dropped``. Reports sharing a cron expression share
    one computation, so thousands of reports over a few dozen distinct schedules cost a few
    dozen cron walks. A report whose cron is invalid, or whose evaluation raises, lands in
    ``invalid``; the others go on.
    """
    evaluation = DueEvaluation(start=start, end=end)
    by_cron: dict[str, CronWindow] = {}
    for report in reports:
        try:
            expression = report.cron.strip()
            if reason := cron_error(expression):
                evaluation.invalid.append(
                    InvalidCron(report.report_id, report.name, reason, expression)
                )
                continue
            window = by_cron.get(expression)
            if window is None:
                window = by_cron[expression] = cron_window(
                    expression, start, end, catchup, max_catchup_per_report
                )
        except Exception as exc:  # one report's failure must not stop the others
            evaluation.invalid.append(
                InvalidCron(
                    report.report_id,
                    report.name,
                    f"evaluating its cron raised {type(exc).__name__}: {exc}",
                    _cron_text(report),
                    raised=True,
                )
            )
            continue
        if window.dropped is not None:
            evaluation.dropped.append(
                DroppedDueTimes(report.report_id, report.name, *window.dropped)
            )
        evaluation.due.extend(
            DueRun(report.report_id, report.name, expression, when) for when in window.times
        )
    evaluation.due.sort(key=_oldest_first)
    return evaluation


@dataclass(frozen=True)
class CronWindow:
    """The due times of one cron in a window (oldest first) and the missed ones dropped."""

    times: list[dt.datetime]
    dropped: tuple[dt.datetime, dt.datetime] | None  # (missed after, last dropped)


def cron_window(
    expression: str,
    start: dt.datetime,
    end: dt.datetime,
    catchup: tuple[dt.datetime, dt.datetime] | None,
    keep: int,
) -> CronWindow:
    """Due times in ``(start, end]``; inside ``catchup`` only the latest ``keep``.

    The missed part is walked backwards from its end, ``keep + 1`` fire times at most, so a
    day-long catch-up costs a few cron steps per expression instead of one per fire time
    (croniter takes about a millisecond per step).
    """
    if catchup is None:
        return CronWindow(due_times(expression, start, end), None)
    after, before = catchup
    latest = _latest(expression, after, before, max(keep, 0) + 1)
    kept = sorted(latest[: max(keep, 0)])
    dropped = None
    if len(latest) > max(keep, 0):
        dropped = (after, latest[-1])
    times = due_times(expression, start, after) + kept + due_times(expression, before, end)
    return CronWindow(times, dropped)


def _checked(expression: str) -> croniter:
    parsed = _parsed(expression.strip())
    if isinstance(parsed, str):
        raise ValueError(parsed)
    return parsed


def _latest(
    expression: str, after: dt.datetime, before: dt.datetime, count: int
) -> list[dt.datetime]:
    """Up to ``count`` fire times ``T`` with ``after < T <= before``, newest first."""
    it = copy.copy(_checked(expression))
    it.set_current((before + dt.timedelta(microseconds=1)).astimezone(dt.UTC), force=True)
    times: list[dt.datetime] = []
    while len(times) < count:
        previous: dt.datetime = it.get_prev(dt.datetime)
        if previous <= after:
            break
        times.append(previous)
    return times


def _cron_text(report: Schedulable) -> str:
    """The report's cron for a message, even when reading it is what failed."""
    try:
        return str(report.cron)
    except Exception:
        return "?"


def _oldest_first(run: DueRun) -> tuple[dt.datetime, int]:
    return run.due_at, run.report_id
