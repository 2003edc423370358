"""The control database under faults: stale writers, poison rows, backoff, outages."""

from datetime import timedelta

import psycopg
import pytest

from lakebase import (
    LakebaseClient,
    LakebaseNotMigrated,
    LakebaseUnavailable,
    StaleClaim,
    Status,
)
from lakebase.testing import ManualClock
from local_services import free_port


def _sql(dsn: str, statement: str, *params: object) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(statement.encode(), params or None)  # type: ignore[arg-type]


# -- fencing -------------------------------------------------------------------------------


def test_a_stale_claim_writes_nothing(
    lakebase: LakebaseClient, clock: ManualClock, registration
) -> None:
    config_id = lakebase.register_table(
        registration("o", load_strategy="incremental", incremental_column="u"), "yaml"
    )
    [old] = lakebase.claim_ready_tables(limit=1)
    # A monitor gave up on the first claim; the table was claimed again and loaded.
    assert lakebase.record_load_failure(config_id, old.metadata_id, "stuck", [Status.QUEUED])
    clock.advance(minutes=15)
    [new] = lakebase.claim_ready_tables(limit=1)
    lakebase.start_load(config_id, new.metadata_id, "run-2", "run-2", "http://ui/runs/run-2")
    lakebase.record_load_success(config_id, new.metadata_id, 10, "2026-01-02", 1.0)
    before = lakebase.get_table(config_id)
    history_before = lakebase.get_history(config_id)

    # The first run finally starts, or finishes: every write is refused.
    with pytest.raises(StaleClaim, match=f"claim {old.metadata_id} is stale"):
        lakebase.start_load(config_id, old.metadata_id, "run-1", "run-1", "http://ui/runs/run-1")
    with pytest.raises(StaleClaim):
        lakebase.record_load_success(config_id, old.metadata_id, 99, "1999-01-01", 1.0)
    assert not lakebase.record_load_failure(config_id, old.metadata_id, "late failure")
    assert not lakebase.update_run_tracking(config_id, None, "https://dbx/1", old.metadata_id)
    assert lakebase.get_table(config_id) == before
    assert lakebase.get_history(config_id) == history_before
    assert before is not None and before.incremental_value == "2026-01-02"


def test_a_claim_is_started_once_but_its_own_run_may_resume(
    lakebase: LakebaseClient, registration
) -> None:
    config_id = lakebase.register_table(registration("r"), "yaml")
    [queued] = lakebase.claim_ready_tables(limit=1)
    url = "http://ui/runs/a"
    lakebase.start_load(config_id, queued.metadata_id, "a", "a", url)
    # A retry of the same root run resumes; a different run (a re-execution) is stale.
    table = lakebase.start_load(config_id, queued.metadata_id, "a-retry", "a", url)
    assert table.last_status == "In Progress" and table.claim_run_id == "a"
    with pytest.raises(StaleClaim):
        lakebase.start_load(config_id, queued.metadata_id, "b", "b", "http://ui/runs/b")


# -- poison rows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "db_config_value",
            '"host=db password=x"',
            "db_config_value must be a JSON object with host and database, got a JSON string",
        ),
        ("db_config_value", "[1, 2]", "got a JSON array"),
        ("db_config_value", "42", "got a JSON number"),
        ("db_config_value", '{"host": 5, "database": "d"}', "db_config_value is missing 'host'"),
        (
            "db_config_value",
            '{"host": "h", "database": "d", "options": {"db_password": "hunter2"}}',
            "db_config_value must not hold options.db_password",
        ),
        (
            "db_config_value",
            '{"host": "h", "database": "d", "schema": "s"}',
            "db_config_value has unknown key(s) schema: use only host, port, database, user",
        ),
        ("cron_schedule", "every hour", "cron_schedule 'every hour' is not a valid cron"),
        ("source_table_name", "", "source_table_name must be a non-empty text, got ''"),
        ("db_type", "oracle9", "db_type 'oracle9' is not supported"),
        ("destination_table_name", "../x", "destination_table_name '../x' is not a plain"),
    ],
)
def test_a_poison_row_fails_alone_before_the_claim_commits(
    column: str,
    value: str,
    message: str,
    lakebase: LakebaseClient,
    postgres_dsn: str,
    registration,
) -> None:
    lakebase.register_table(registration("good"), "sql")
    bad = lakebase.register_table(registration("bad"), "sql")
    # Written by SQL into a database that predates the constraints.
    _sql(
        postgres_dsn,
        "ALTER TABLE table_control DROP CONSTRAINT table_control_db_config_is_object,"
        " DROP CONSTRAINT table_control_names_not_blank",
    )
    cast = "::jsonb" if column == "db_config_value" else ""
    _sql(
        postgres_dsn,
        f"UPDATE table_control SET {column} = %s{cast} WHERE config_id = %s",  # noqa: S608
        value,
        bad,
    )
    batch = lakebase.claim(limit=10)
    assert [q.table.control_key for q in batch.queued] == ["good"]
    [rejected] = batch.rejected
    assert rejected.config_id == bad and message in rejected.message
    table = lakebase.get_table(bad)
    assert table is not None and table.last_status == "Failed" and table.requires_review
    assert message in (table.last_status_message or "")
    assert "hunter2" not in (table.last_status_message or "")
    [history] = lakebase.get_history(bad)
    assert history["status"] == "Failed" and message in history["error_message"]
    assert lakebase.claim(limit=10).rejected == []  # flagged: not re-tried every tick


def test_constraints_refuse_what_no_load_could_use(
    lakebase: LakebaseClient, postgres_dsn: str, registration
) -> None:
    lakebase.register_table(registration("t"), "sql")
    for assignment in ("db_config_value = '\"a string\"'", "source_table_name = ' '"):
        with pytest.raises(psycopg.errors.CheckViolation):
            _sql(postgres_dsn, f"UPDATE table_control SET {assignment}")  # noqa: S608


# -- backoff --------------------------------------------------------------------------------


def test_failures_back_off_exponentially_then_need_a_review_and_a_reset(
    lakebase: LakebaseClient, clock: ManualClock, registration
) -> None:
    config_id = lakebase.register_table(registration("flaky"), "sql")
    delays = []
    for attempt in range(1, 4):
        [queued] = lakebase.claim_ready_tables(limit=1)
        assert lakebase.record_load_failure(config_id, queued.metadata_id, "connection refused")
        table = lakebase.get_table(config_id)
        assert table is not None and table.retry_count == attempt
        delays.append(table.next_load_date_time - clock.current)
        assert lakebase.claim_ready_tables(limit=1) == []  # not at the next tick
        clock.current = table.next_load_date_time
    assert delays == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60)]
    table = lakebase.get_table(config_id)
    assert table is not None and table.requires_review
    assert table.last_status_message == (
        "connection refused [flagged for review after 3 failed attempts in a row: fix the "
        "cause, then reset the table (lakebase-reset flaky)]"
    )
    clock.advance(days=1)
    assert lakebase.claim_ready_tables(limit=1) == []
    assert lakebase.get_failed_for_analysis(3) == []
    assert lakebase.reset_table("flaky")
    [queued] = lakebase.claim_ready_tables(limit=1)
    assert queued.table.retry_count == 0


def test_retry_decisions_apply_only_while_the_failure_stands(
    lakebase: LakebaseClient, clock: ManualClock, registration
) -> None:
    config_id = lakebase.register_table(registration("d"), "sql")
    [queued] = lakebase.claim_ready_tables(limit=1)
    lakebase.record_load_failure(config_id, queued.metadata_id, "timeout")
    failed = lakebase.get_table(config_id)
    assert failed is not None and failed.last_status_date_time is not None
    failed_at = failed.last_status_date_time
    # Meanwhile the table was retried and loaded: a late decision changes nothing.
    clock.advance(minutes=15)
    [again] = lakebase.claim_ready_tables(limit=1)
    lakebase.record_load_success(config_id, again.metadata_id, 1, None, 0.1)
    assert not lakebase.mark_for_review(config_id, "[AI Analysis - Requires Review] x", failed_at)
    assert not lakebase.reset_for_retry(config_id, "[AI Analysis - Retry Recommended] x")
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Succeeded" and not table.requires_review


# -- registration sync ----------------------------------------------------------------------


def test_an_empty_or_failed_sync_never_deactivates_every_table(
    lakebase: LakebaseClient, registration
) -> None:
    lakebase.sync_registrations("yaml", [registration("a"), registration("b")])
    empty = lakebase.sync_registrations("yaml", [])
    assert empty is not None and empty.deactivated == []
    assert (
        empty.held_back and "declares no table, but 2 of its tables are active" in empty.held_back
    )
    broken = lakebase.sync_registrations(
        "yaml", [registration("a"), registration("c", cron_schedule="never")]
    )
    assert broken is not None and broken.deactivated == []
    assert broken.errors == [
        "c: cron_schedule 'never' is not a valid cron expression (five fields, e.g. '0 2 * * *')"
    ]
    partial = lakebase.sync_registrations("yaml", [registration("a")], complete=False)
    assert partial is not None and partial.deactivated == []
    assert {t.control_key for t in lakebase.get_control_tables()} == {"a", "b"}
    clean = lakebase.sync_registrations("yaml", [registration("a")])
    assert clean is not None and clean.deactivated == ["b"]


# -- outages --------------------------------------------------------------------------------


def test_an_unreachable_lakebase_is_one_line_naming_the_variables() -> None:
    port = free_port()
    client = LakebaseClient(f"host=127.0.0.1 port={port} dbname=x", connect_timeout=0.5)
    with pytest.raises(LakebaseUnavailable) as caught:
        client.get_control_tables()
    message = str(caught.value)
    assert "\n" not in message and f"127.0.0.1:{port}/x" in message
    assert "LAKEBASE_HOST" in message and caught.value.__cause__ is None


def test_an_unmigrated_lakebase_names_the_migration_command(postgres_dsn: str) -> None:
    with pytest.raises(LakebaseNotMigrated, match=r"is not migrated .* run `lakebase-migrate"):
        LakebaseClient(postgres_dsn).claim(limit=10)


def test_a_dropped_connection_is_replaced_without_the_caller_noticing(
    lakebase: LakebaseClient, postgres_dsn: str, registration
) -> None:
    lakebase.register_table(registration("t"), "sql")  # the pool now holds a connection
    dbname = postgres_dsn.rsplit("/", 1)[-1]
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:  # e.g. a failover
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        )
    [queued] = lakebase.claim_ready_tables(limit=1)
    assert queued.table.control_key == "t"
