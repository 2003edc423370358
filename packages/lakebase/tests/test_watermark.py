"""The watermark rules both loaders follow (pure: no database)."""

import logging
from datetime import UTC, date, datetime

import pytest

from lakebase.watermark import render_watermark, watermark_after_load, watermark_before_load


def _never_read() -> object:
    raise AssertionError("the target was read although a watermark was recorded")


def test_a_recorded_watermark_is_used_without_reading_the_target(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert watermark_before_load("sales.orders", "id", "41", _never_read) == "41"
    assert not caplog.records


def test_with_none_recorded_the_target_maximum_is_read_once_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reads: list[str] = []

    def target_maximum() -> object:
        reads.append("max")
        return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    with caplog.at_level(logging.WARNING, logger="lakebase.watermark"):
        before = watermark_before_load("sales.orders", "updated_at", None, target_maximum)
    assert before == "2026-01-02T03:04:05+00:00" and reads == ["max"]
    assert caplog.messages == [
        "sales.orders: no watermark recorded in table_control; reading max(updated_at) from "
        "the target table once (later loads start from the watermark this load records)"
    ]


def test_with_none_recorded_and_no_target_every_source_row_loads() -> None:
    assert watermark_before_load("sales.orders", "id", None, None) is None


@pytest.mark.parametrize(
    ("before", "loaded", "after"),
    [
        ("41", 57, "57"),  # rows written: their maximum
        ("41", None, "41"),  # none written: the watermark stays
        (None, None, None),  # an empty first load records nothing
        (None, date(2026, 3, 1), "2026-03-01"),
    ],
)
def test_the_watermark_advances_to_the_maximum_written(
    before: str | None, loaded: object, after: str | None
) -> None:
    assert watermark_after_load(before, loaded) == after


def test_watermarks_are_text_iso_for_times() -> None:
    assert render_watermark(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05"
    assert render_watermark(12) == "12" and render_watermark(None) is None
