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
    """Where the next tick starts.

    ``carried_from`` is set when a tick hit its cap on run requests: due times after it may
    not be requested yet, so the next tick starts there. ``catchup_through`` then says up to
    where those due times were missed (an outage), so the per-report catch-up limit keeps
    and drops what it did when the outage was found.
    """

    recheck_from: dt.datetime
    evaluated_through: dt.datetime
    carried_from: dt.datetime | None = None
    catchup_through: dt.datetime | None = None

    def to_json(self) -> str:
        data = {
            "recheck_from": self.recheck_from.isoformat(),
            "evaluated_through": self.evaluated_through.isoformat(),
        }
        for name in ("carried_from", "catchup_through"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | None) -> "EvaluationCursor | None":
        """The stored cursor, or ``None`` when absent or unreadable (then: a first tick)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            optional = {
                name: dt.datetime.fromisoformat(data[name])
                for name in ("carried_from", "catchup_through")
                if data.get(name)
            }
            return cls(
                dt.datetime.fromisoformat(data["recheck_from"]),
                dt.datetime.fromisoformat(data["evaluated_through"]),
                **optional,
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
    ``max_catchup`` back: older due times are not run after a long outage. The part of the
    window nothing evaluated in time (an outage, or a carried catch-up) is ``catchup``.
    """
    start = now - lookback if cursor is None else min(cursor.recheck_from, now - lookback)
    floor = now - max_catchup
    truncated_from = start if start < floor else None
    start = max(start, floor)
    catchup = None
    missed = _missed(cursor, now - lookback) if cursor is not None else None
    if missed is not None and max(missed[0], start) < missed[1]:
        catchup = (max(missed[0], start), missed[1])
    return Window(start=start, end=now, catchup=catchup, truncated_from=truncated_from)


def _missed(
    cursor: EvaluationCursor, due_by: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    outage = cursor.evaluated_through < due_by
    if cursor.carried_from is not None and cursor.catchup_through is not None:
        return cursor.carried_from, due_by if outage else cursor.catchup_through
    return (cursor.evaluated_through, due_by) if outage else None


def advance(cursor: EvaluationCursor | None, window: Window) -> EvaluationCursor:
    """The cursor after ``window``: the next tick rechecks from this tick's new time on."""
    if cursor is None:
        return EvaluationCursor(recheck_from=window.start, evaluated_through=window.end)
    new_from = cursor.carried_from if cursor.carried_from is not None else cursor.evaluated_through
    return EvaluationCursor(
        recheck_from=min(new_from, window.end),
        evaluated_through=max(window.end, cursor.evaluated_through),
    )


def defer(window: Window, oldest_unrequested: dt.datetime) -> EvaluationCursor:
    """The cursor after a tick that hit its cap on run requests: the next tick starts just
    before the oldest due time not requested yet, and what this window counted as missed
    stays missed up to the same end, so the per-report limit keeps and drops exactly what
    it did now (keeping the latest N of a range is stable when only its start moves later).
    Run keys keep the due times already requested from being requested twice."""
    resume = oldest_unrequested - dt.timedelta(microseconds=1)
    missed = window.catchup[1] if window.catchup and resume < window.catchup[1] else None
    return EvaluationCursor(
        recheck_from=resume,
        evaluated_through=window.end,
        carried_from=resume,
        catchup_through=missed,
    )
