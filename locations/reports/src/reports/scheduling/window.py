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
    recheck_from: dt.datetime
    evaluated_through: dt.datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "recheck_from": self.recheck_from.isoformat(),
                "evaluated_through": self.evaluated_through.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> "EvaluationCursor | None":
        """The stored cursor, or ``None`` when absent or unreadable (then: a first tick)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(
                dt.datetime.fromisoformat(data["recheck_from"]),
                dt.datetime.fromisoformat(data["evaluated_through"]),
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
    if cursor is not None and cursor.evaluated_through < now - lookback:
        catchup = (max(cursor.evaluated_through, start), now - lookback)
    return Window(start=start, end=now, catchup=catchup, truncated_from=truncated_from)


def advance(cursor: EvaluationCursor | None, window: Window) -> EvaluationCursor:
    """The cursor after ``window``: the next tick rechecks from this tick's new time on."""
    previous_end = cursor.evaluated_through if cursor else window.start
    through = max(window.end, previous_end)
    return EvaluationCursor(recheck_from=min(previous_end, window.end), evaluated_through=through)
