"""The lane sensors' cursor: versioned JSON, migrated from the legacy form, bounded."""

import json

from object_feed import FeedState, PendingObject
from spatial_etl.intake.cursor import (
    MAX_CURSOR_KEYS,
    ProcessedKeysCodec,
    build_cursor,
    parse_cursor,
)


def test_empty_cursors_hold_no_keys() -> None:
    assert parse_cursor(None) == parse_cursor("") == parse_cursor("  ") == []


def test_the_legacy_comma_separated_cursor_migrates() -> None:
    legacy = "manifests/a.json, manifests/b.json,,manifests/a.json , "
    keys = parse_cursor(legacy)
    assert keys == ["manifests/a.json", "manifests/b.json"]
    assert json.loads(build_cursor(keys)) == {
        "v": 1,
        "processed_keys": ["manifests/a.json", "manifests/b.json"],
        "max_keys": 500,
    }


def test_v1_cursor_round_trips_and_drops_junk() -> None:
    stored = json.dumps({"v": 1, "processed_keys": ["a", "", 3, "b", "a"], "max_keys": 500})
    assert parse_cursor(stored) == ["a", "b"]
    assert parse_cursor(build_cursor(["x", "y"])) == ["x", "y"]


def test_the_stored_max_keys_is_informational() -> None:
    stored = json.dumps({"v": 1, "processed_keys": [f"k{i}" for i in range(800)], "max_keys": 9})
    assert len(parse_cursor(stored)) == 800
    rebuilt = json.loads(build_cursor(parse_cursor(stored)))
    assert rebuilt["max_keys"] == MAX_CURSOR_KEYS == 500
    assert rebuilt["processed_keys"] == [f"k{i}" for i in range(300, 800)]


def test_the_feed_state_round_trips_through_the_spec_format() -> None:
    codec = ProcessedKeysCodec()
    state = FeedState(
        settled=["manifests/a.json"],
        pending={"manifests/b.json": PendingObject(version="e1", attempt=1, run_key="spatial:b")},
    )
    raw = codec.encode(state)
    assert json.loads(raw)["processed_keys"] == ["manifests/a.json"]
    assert codec.decode(raw) == state
    assert json.loads(codec.encode(FeedState(settled=["x"]))) == {
        "v": 1,
        "processed_keys": ["x"],
        "max_keys": 500,
    }


def test_an_unknown_cursor_version_is_set_aside_saying_why() -> None:
    codec = ProcessedKeysCodec()
    assert codec.decode(json.dumps({"v": 2, "keys": ["a"]})) == FeedState()
    assert "version 2" in (codec.problem or "") and "empty cursor" in (codec.problem or "")
    assert codec.decode(build_cursor(["a"])).settled == ["a"] and codec.problem is None
