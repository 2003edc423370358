"""The schema transformer: Django's report data into a Fireant payload."""

from typing import Any

import pytest

from reports.transform import ReportDataError, transform_report_schema


def report_data(*event_types: str | None) -> dict[str, Any]:
    return {
        "meta": {"report_id": 1, "modifier_id": 9},
        "data": {
            "report": {"id": 1, "name": "Weekly", "cron": "0 0 * * 0", "peril": "Flood", "dr": 1},
            "eventgroup": {
                "id": 4,
                "events": [
                    {"id": i, "name": f"e{i}", "event_type": t} for i, t in enumerate(event_types)
                ],
            },
            "modifier": {
                "id": 9,
                "as_at_date": "2025-07-01",
                "fx_date": "2025-06-30",
                "year": 2025,
            },
        },
    }


@pytest.mark.parametrize(
    ("event_type", "key"), [("geo", "geos"), ("Ring", "rings"), ("BOX", "boxes")]
)
def test_events_move_under_their_type_and_modifier_dates_to_the_top(
    event_type: str, key: str
) -> None:
    payload, kind = transform_report_schema(report_data(event_type, event_type))
    assert kind == event_type.lower()
    assert [e["id"] for e in payload[key]] == [0, 1]
    assert (payload["as_at_date"], payload["fx_date"]) == ("2025-07-01", "2025-06-30")
    assert payload["name"] == "Weekly" and payload["peril"] == "Flood"
    assert "id" not in payload and "cron" not in payload
    assert payload["meta"] == {"report_id": 1, "modifier_id": 9}
    assert "year" not in payload


def test_an_unknown_event_type_gets_a_plural_key() -> None:
    payload, kind = transform_report_schema(report_data("polygon"))
    assert kind == "polygon" and "polygons" in payload


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (report_data("geo", "ring"), "mix event types"),
        (report_data(None), "no event has an event_type"),
        (report_data(), "has no events"),
        ({"meta": {}}, "no 'data' object"),
    ],
)
def test_unusable_data_is_refused_with_the_reason(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ReportDataError, match=message):
        transform_report_schema(data)


def test_a_modifier_without_dates_is_refused() -> None:
    data = report_data("geo")
    del data["data"]["modifier"]["fx_date"]
    with pytest.raises(ReportDataError, match="report 1: the modifier has no fx_date"):
        transform_report_schema(data)
