"""The schema transformer: Django's report data into the payload of one Fireant job.

Django answers ``{data: {report, modifier, eventgroup: {events}}, meta}``. Fireant wants the
report's own fields (without ``id`` and ``cron``), the modifier's ``as_at_date`` and
``fx_date`` at the top level, and the events under a key named for their single event type
(``geos``, ``rings``, ``boxes``). The event type also picks the Fireant endpoint.
"""

from collections.abc import Mapping
from typing import Any

EVENT_KEYS = {"geo": "geos", "ring": "rings", "box": "boxes"}
_DROPPED_REPORT_FIELDS = ("id", "cron")


class ReportDataError(ValueError):
    """The report data cannot become a Fireant payload; the message says what to fix."""


def events_key(event_type: str) -> str:
    return EVENT_KEYS.get(event_type, f"{event_type}s")


def transform_report_schema(api_response: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """``(payload, event_type)`` for one report's data; ``ReportDataError`` when unusable."""
    data = api_response.get("data")
    if not isinstance(data, Mapping):
        raise ReportDataError("the report data has no 'data' object")
    report = data.get("report") or {}
    modifier = data.get("modifier") or {}
    eventgroup = data.get("eventgroup") or {}
    label = f"report {report.get('id', '?')}"
    if not isinstance(report, Mapping) or not isinstance(modifier, Mapping):
        raise ReportDataError(f"{label}: 'report' and 'modifier' must be objects")
    events = eventgroup.get("events") if isinstance(eventgroup, Mapping) else None
    if not isinstance(events, list) or not events:
        raise ReportDataError(
            f"{label} has no events in its event group: assign an event group with events "
            "in the Django admin"
        )
    types = {
        str(event["event_type"]).strip().lower()
        for event in events
        if isinstance(event, Mapping) and event.get("event_type")
    }
    if not types:
        raise ReportDataError(f"{label}: no event has an event_type (geo, ring or box)")
    if len(types) > 1:
        raise ReportDataError(
            f"{label}: its events mix event types {sorted(types)}; one event group must "
            "hold one type only"
        )
    event_type = types.pop()
    missing = [key for key in ("as_at_date", "fx_date") if not modifier.get(key)]
    if missing:
        raise ReportDataError(f"{label}: the modifier has no {' or '.join(missing)}")
    payload: dict[str, Any] = {
        **{k: v for k, v in report.items() if k not in _DROPPED_REPORT_FIELDS},
        "as_at_date": modifier["as_at_date"],
        "fx_date": modifier["fx_date"],
        events_key(event_type): events,
    }
    if "meta" in api_response:
        payload["meta"] = api_response["meta"]
    return payload, event_type
