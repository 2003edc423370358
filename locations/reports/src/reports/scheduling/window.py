"""The evaluation cursor: which window of due times a tick looks at.

One cursor serves the three approaches (it lives in the instance's key-value store), so
switching approach continues where the previous one stopped. Each tick evaluates from
where the previous tick *started* checking new time, so every due time is looked at by two
consecutive ticks: a tick that stored its cursor but died before its runs were created is
made good by the next one, and run keys keep the second look from doubling anything.
"""

import datetime as dt
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class EvaluationCursor:
    """``catchup_through`` is set while a catch-up is drained over several ticks (the cap on
    run requests): due times up to it were missed, and the per-report limit applies to them
    as the tick that found them applied it (and logged what it dropped)."""

    recheck_from: dt.datetime
    evaluated_through: dt.datetime
    catchup_through: dt.datetime | None = None

    def to_json(self) -> str:
        data = {
            "recheck_from": self.recheck_from.isoformat(),
            "evaluated_through": self.evaluated_through.isoformat(),
        }
        if self.catchup_through is not None:
            data["catchup_through"] = self.catchup_through.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | None) -> "EvaluationCursor | None":
        """The stored cursor, or ``None`` when absent or unreadable (then: a first tick)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            catchup = data.get("catchup_through")
            return cls(
                dt.datetime.fromisoformat(data["recheck_from"]),
                dt.datetime.fromisoformat(data["evaluated_through"]),
                dt.datetime.fromisoformat(catchup) if catchup else None,
            )
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    catchup: tuple[dt.datetime, dt.datetime] | None  # (after, before]: missed, not rechecked
    truncated_from: dt.datetime | None  # where the window would have started without the cap


def next_window(
    cursor: EvaluationCursor | None,
    now: dt.datetime,
    lookback: dt.timedelta,
    max_catchup: dt.timedelta,
) -> Window:
    """The window ``(start, now]`` of this tick.

    Without a cursor (the very first tick) it reaches back ``lookback`` (one interval of
    the approach). With one, it starts at ``recheck_from``, but never more than
    ``max_catchup`` back: older due times are not run after a long outage.
    """
    start = now - lookback if cursor is None else min(cursor.recheck_from, now - lookback)
    floor = now - max_catchup
    truncated_from = start if start < floor else None
    start = max(start, floor)
    catchup = None
    if cursor is not None and cursor.catchup_through is not None:
        if max(cursor.evaluated_through, start) < cursor.catchup_through:
            catchup = (max(cursor.evaluated_through, start), cursor.catchup_through)
    elif cursor is not None and cursor.evaluated_through < now - lookback:
        catchup = (max(cursor.evaluated_through, start), now - lookback)
    return Window(start=start, end=now, catchup=catchup, truncated_from=truncated_from)


def advance(cursor: EvaluationCursor | None, window: Window) -> EvaluationCursor:
    """The cursor after ``window``: the next tick rechecks from this tick's new time on."""
    previous_end = cursor.evaluated_through if cursor else window.start
    through = max(window.end, previous_end)
    return EvaluationCursor(recheck_from=min(previous_end, window.end), evaluated_through=through)


def defer(window: Window, oldest_unrequested: dt.datetime) -> EvaluationCursor:
    """The cursor after a tick that hit its cap on run requests: the next tick starts just
    before the oldest due time not requested yet, and the missed part of this window stays
    missed up to the same end, so the per-report limit keeps and drops exactly what it did
    now (keeping the latest N of a range is stable when only its start moves later). Run
    keys keep the due times already requested from being requested twice."""
    resume = oldest_unrequested - dt.timedelta(microseconds=1)
    catchup_through = window.catchup[1] if window.catchup and resume < window.catchup[1] else None
    return EvaluationCursor(
        recheck_from=resume, evaluated_through=resume, catchup_through=catchup_through
    )
