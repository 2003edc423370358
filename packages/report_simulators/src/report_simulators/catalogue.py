"""The sample catalogue the Django simulator starts with.

Varied crons, an inactive report, and entries that are wrong on purpose (bad crons, missing
or non-integer ids, a non-object entry, a report without an event group, an event group
mixing event types, reports whose Fireant job fails or never completes) so every bad-input
path can be shown locally.
"""

from typing import Any

EVENT_GROUPS: dict[int, dict[str, Any]] = {
    1: {
        "id": 1,
        "name": "North Atlantic windstorms",
        "events": [
            {"event_id": 101, "event_type": "geo", "lat": 51.5, "lon": -0.12, "value": 1_000_000},
            {"event_id": 102, "event_type": "geo", "lat": 53.4, "lon": -2.98, "value": 750_000},
            {"event_id": 103, "event_type": "geo", "lat": 55.95, "lon": -3.19, "value": 420_000},
        ],
    },
    2: {
        "id": 2,
        "name": "Port blast radii",
        "events": [
            {
                "event_id": 201,
                "event_type": "ring",
                "center_lat": 51.9,
                "center_lon": 4.48,
                "radius": 1000,
                "value": 2_500_000,
            },
            {
                "event_id": 202,
                "event_type": "ring",
                "center_lat": 53.55,
                "center_lon": 9.99,
                "radius": 500,
                "value": 900_000,
            },
        ],
    },
    3: {
        "id": 3,
        "name": "Flood boxes",
        "events": [
            {
                "event_id": 301,
                "event_type": "box",
                "min_lat": 40.0,
                "max_lat": 41.0,
                "min_lon": -75.0,
                "max_lon": -74.0,
                "value": 1_200_000,
            },
        ],
    },
    4: {
        "id": 4,
        "name": "Mixed (invalid: one event type per group)",
        "events": [
            {"event_id": 401, "event_type": "geo", "lat": 48.85, "lon": 2.35, "value": 10},
            {
                "event_id": 402,
                "event_type": "ring",
                "center_lat": 48.85,
                "center_lon": 2.35,
                "radius": 5,
                "value": 10,
            },
        ],
    },
}


def sample_catalogue() -> list[Any]:
    """Raw catalogue entries as ``GET /api/reports/`` lists them (a fresh copy each call)."""
    return [
        {
            "id": 1,
            "name": "UK windstorm exposure",
            "cron": "*/5 * * * *",
            "active": True,
            "event_group": 1,
            "currency": "GBP",
        },
        {
            "id": 2,
            "name": "Port blast hourly",
            "cron": "0 * * * *",
            "active": True,
            "event_group": 2,
            "currency": "EUR",
        },
        {
            "id": 3,
            "name": "US flood weekday morning",
            "cron": "0 6 * * 1-5",
            "active": True,
            "event_group": 3,
            "currency": "USD",
        },
        {
            "id": 4,
            "name": "Monthly windstorm close",
            "cron": "30 2 1 * *",
            "active": True,
            "event_group": 1,
            "currency": "GBP",
        },
        {
            "id": 5,
            "name": "Every two minutes (demo)",
            "cron": "*/2 * * * *",
            "active": True,
            "event_group": 3,
            "currency": "USD",
        },
        {
            "id": 6,
            "name": "Paused report",
            "cron": "*/10 * * * *",
            "active": False,
            "event_group": 2,
            "currency": "EUR",
        },
        {
            "id": 7,
            "name": "Bad cron (text)",
            "cron": "not a cron",
            "active": True,
            "event_group": 1,
        },
        {
            "id": 8,
            "name": "Bad cron (minute 61)",
            "cron": "61 * * * *",
            "active": True,
            "event_group": 1,
        },
        {"id": 9, "name": "No schedule", "cron": None, "active": True, "event_group": 1},
        {
            "id": 10,
            "name": "No event group",
            "cron": "*/15 * * * *",
            "active": True,
            "event_group": None,
        },
        {
            "id": 11,
            "name": "Mixed event types",
            "cron": "*/15 * * * *",
            "active": True,
            "event_group": 4,
        },
        {
            "id": 12,
            "name": "Fireant fails this job",
            "cron": "*/20 * * * *",
            "active": True,
            "event_group": 2,
            "simulate": "fail",
        },
        {
            "id": 13,
            "name": "Fireant never finishes this job",
            "cron": "0 */2 * * *",
            "active": True,
            "event_group": 3,
            "simulate": "never_complete",
        },
        {"name": "Entry without an id", "cron": "*/5 * * * *", "active": True},
        {"id": "fourteen", "name": "Entry with a text id", "cron": "*/5 * * * *"},
        ["not", "an", "object"],
    ]
