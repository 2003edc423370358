"""Cron syntax, due times in a window, catch-up bounds and the evaluation cursor."""

import datetime as dt
from dataclasses import dataclass

import pytest

from reports.scheduling.due import cron_error, due_times, evaluate_due, run_key
from reports.scheduling.window import EvaluationCursor, advance, defer, next_window

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class R:
    report_id: int
    name: str
    cron: str


@pytest.mark.parametrize(
    "expression", ["0 * * * *", "*/15 9-17 * * 1-5", "0 0 29 2 *", "30 6 1 * *", "@daily"]
)
def test_valid_crons(expression: str) -> None:
    assert cron_error(expression) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("61 * * * *", "not a valid cron"),
        ("* * *", "five fields"),
        ("0 0 * * * *", "five fields"),
        ("every day", "five fields"),
        ("0 25 * * *", "not a valid cron"),
        ("0 0 31 2 *", "never fires"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4 *", "never fires"),
        ("", "empty"),
        ("   ", "empty"),
        ("@fortnightly", "not a known alias"),
        ("0 0 32 * *", "not a valid cron"),
    ],
)
def test_invalid_crons_say_why(expression: str, reason: str) -> None:
    assert reason in (cron_error(expression) or "")


def test_due_times_are_the_fire_times_after_start_up_to_end() -> None:
    times = due_times("*/15 * * * *", at("2024-01-01T09:00:00"), at("2024-01-01T10:00:00"))
    assert [t.strftime("%H:%M") for t in times] == ["09:15", "09:30", "09:45", "10:00"]
    assert due_times("0 0 29 2 *", at("2024-02-28T12:00:00"), at("2024-03-01T00:00:00")) == [
        at("2024-02-29T00:00:00")
    ]
    assert due_times("0 0 31 * *", at("2024-02-01T00:00:00"), at("2024-03-30T00:00:00")) == []


def test_run_keys_carry_report_and_due_time() -> None:
    assert run_key(7, at("2024-01-01T18:00:00")) == "7:2024-01-01T18:00:00+00:00"


def test_an_invalid_cron_skips_its_report_only() -> None:
    reports = [
        R(1, "hourly", "0 * * * *"),
        R(2, "broken", "0 25 * * *"),
        R(3, "daily 6pm", "0 18 * * *"),
    ]
    result = evaluate_due(reports, at("2024-01-01T17:59:00"), at("2024-01-01T18:00:00"))
    assert sorted(r.report_id for r in result.due) == [1, 3]
    assert [i.report_id for i in result.invalid] == [2]
    assert "Report 2 (broken) skipped" in result.invalid[0].message


def test_a_report_whose_evaluation_raises_is_skipped_and_the_others_go_on() -> None:
    class Broken:
        report_id = 2
        name = "broken"

        @property
        def cron(self) -> str:
            raise RuntimeError("unreadable")

    reports = [R(1, "hourly", "0 * * * *"), Broken(), R(3, "daily 6pm", "0 18 * * *")]
    result = evaluate_due(reports, at("2024-01-01T17:59:00"), at("2024-01-01T18:00:00"))
    assert sorted(r.report_id for r in result.due) == [1, 3]
    (failed,) = result.failed
    assert failed.report_id == 2 and "raised RuntimeError: unreadable" in failed.message


def test_catch_up_keeps_the_latest_missed_due_times_per_report() -> None:
    reports = [R(1, "every 10 min", "*/10 * * * *"), R(2, "hourly", "0 * * * *")]
    result = evaluate_due(
        reports,
        at("2024-01-01T08:00:00"),
        at("2024-01-01T10:00:00"),
        catchup=(at("2024-01-01T08:00:00"), at("2024-01-01T09:59:00")),
        max_catchup_per_report=2,
    )
    every_ten = sorted(r.due_at.strftime("%H:%M") for r in result.due if r.report_id == 1)
    assert every_ten == ["09:40", "09:50", "10:00"]  # the two latest missed, and the current
    (dropped,) = [d for d in result.dropped if d.report_id == 1]  # one summary per report
    # 08:10 to 09:30: every due time after the missed window's start up to the last dropped
    assert (dropped.missed_after, dropped.last) == (
        at("2024-01-01T08:00:00"),
        at("2024-01-01T09:30:00"),
    )
    assert "after 2024-01-01T08:00:00+00:00 up to 2024-01-01T09:30:00+00:00" in dropped.message
    hourly = sorted(r.due_at.strftime("%H:%M") for r in result.due if r.report_id == 2)
    assert hourly == ["09:00", "10:00"]


def test_first_window_reaches_back_one_interval() -> None:
    window = next_window(
        None, at("2024-01-01T10:00:00"), dt.timedelta(minutes=1), dt.timedelta(days=1)
    )
    assert (window.start, window.end, window.catchup) == (
        at("2024-01-01T09:59:00"),
        at("2024-01-01T10:00:00"),
        None,
    )


def test_each_due_time_is_looked_at_by_two_consecutive_ticks() -> None:
    minute = dt.timedelta(minutes=1)
    day = dt.timedelta(days=1)
    first = next_window(None, at("2024-01-01T10:00:00"), minute, day)
    cursor = advance(None, first)
    second = next_window(cursor, at("2024-01-01T10:01:00"), minute, day)
    assert second.start == first.start  # rechecks the first tick's window
    cursor = advance(cursor, second)
    third = next_window(cursor, at("2024-01-01T10:02:00"), minute, day)
    assert third.start == first.end
    assert third.catchup is None


def test_after_an_outage_the_window_is_bounded_and_marks_the_missed_part() -> None:
    cursor = EvaluationCursor(at("2024-01-01T09:59:00"), at("2024-01-01T10:00:00"))
    window = next_window(
        cursor, at("2024-01-03T10:00:00"), dt.timedelta(minutes=1), dt.timedelta(hours=6)
    )
    assert window.start == at("2024-01-03T04:00:00")
    assert window.truncated_from == at("2024-01-01T09:59:00")
    assert window.catchup == (at("2024-01-03T04:00:00"), at("2024-01-03T09:59:00"))


def test_the_cursor_survives_a_round_trip_and_garbage_reads_as_none() -> None:
    cursor = EvaluationCursor(at("2024-01-01T09:59:00"), at("2024-01-01T10:00:00"))
    assert EvaluationCursor.from_json(cursor.to_json()) == cursor
    assert EvaluationCursor.from_json("not json") is None
    assert EvaluationCursor.from_json(None) is None


def test_a_carried_catch_up_keeps_its_missed_range_and_a_new_outage_extends_it() -> None:
    minute, day = dt.timedelta(minutes=1), dt.timedelta(days=1)
    cursor = EvaluationCursor(at("2024-01-01T07:59:00"), at("2024-01-01T08:00:00"))
    window = next_window(cursor, at("2024-01-01T10:00:00"), minute, day)
    assert window.catchup == (at("2024-01-01T08:00:00"), at("2024-01-01T09:59:00"))
    carried = defer(window, at("2024-01-01T08:30:00"))  # the cap stopped before 08:30
    following = next_window(carried, at("2024-01-01T10:01:00"), minute, day)
    assert following.start < at("2024-01-01T08:30:00") < following.catchup[1]  # type: ignore[index]
    assert following.catchup[1] == at("2024-01-01T09:59:00")  # type: ignore[index]
    after_outage = next_window(carried, at("2024-01-01T12:00:00"), minute, day)
    assert after_outage.catchup[1] == at("2024-01-01T11:59:00")  # type: ignore[index]
    drained = advance(carried, following)
    assert drained.recheck_from < at("2024-01-01T08:30:00")  # rechecks what it requested
    assert drained.carried_from is None and drained.evaluated_through == following.end
