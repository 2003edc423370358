from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql

from lakebase import LakebaseClient, Status
from lakebase.testing import ManualClock


def _set(dsn: str, key: str, **columns: object) -> None:
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name)) for name in columns
    )
    query = sql.SQL("UPDATE table_control SET {} WHERE control_key = %(key)s").format(assignments)
    with psycopg.connect(dsn) as conn:
        conn.execute(query, {**columns, "key": key})


def test_register_inserts_then_updates_by_control_key_keeping_state(
    lakebase: LakebaseClient, postgres_dsn: str, registration
) -> None:
    config_id = lakebase.register_table(registration("orders"), registered_by="yaml")
    _set(postgres_dsn, "orders", last_status="Succeeded", incremental_value="42")
    again = lakebase.register_table(
        registration("orders", cron_schedule="*/5 * * * *"), registered_by="yaml"
    )
    table = lakebase.get_table_details("orders")
    assert again == config_id and table is not None
    assert table.cron_schedule == "*/5 * * * *"
    assert (table.last_status, table.incremental_value) == ("Succeeded", "42")
    assert table.db_config_value["database"] == "src"


def test_register_rejects_a_bad_cron_expression(lakebase: LakebaseClient, registration) -> None:
    with pytest.raises(ValueError, match="cron_schedule 'every hour' is not a valid cron"):
        lakebase.register_table(registration("x", cron_schedule="every hour"), "yaml")


def test_ready_tables_follow_the_master_sensor_criteria(
    lakebase: LakebaseClient, postgres_dsn: str, clock: ManualClock, registration
) -> None:
    for key in ["new", "succeeded", "failed", "queued", "running", "inactive", "future"]:
        lakebase.register_table(registration(key), "yaml")
    _set(postgres_dsn, "succeeded", last_status="Succeeded")
    _set(postgres_dsn, "failed", last_status="Failed")
    _set(postgres_dsn, "queued", last_status="Queued")
    _set(postgres_dsn, "running", last_status="In Progress")
    _set(postgres_dsn, "inactive", is_active=False)
    _set(postgres_dsn, "future", next_load_date_time=clock.current + timedelta(minutes=1))
    ready = {t.control_key for t in lakebase.get_control_tables()}
    assert ready == {"new", "succeeded", "failed"}
    clock.advance(minutes=2)
    assert "future" in {t.control_key for t in lakebase.get_control_tables()}
    assert len(lakebase.get_control_tables(limit=2)) == 2


def test_claim_queues_tables_and_opens_history(
    lakebase: LakebaseClient, clock, registration
) -> None:
    for i in range(12):
        lakebase.register_table(registration(f"t{i:02}", load_strategy="full"), "yaml")
    claimed = lakebase.claim_ready_tables(limit=10)
    assert len(claimed) == 10
    assert len(lakebase.claim_ready_tables(limit=10)) == 2
    assert lakebase.claim_ready_tables(limit=10) == []
    first = claimed[0]
    table = lakebase.get_table(first.table.config_id)
    assert table is not None
    assert (table.last_status, table.last_status_date_time) == ("Queued", clock.current)
    [history] = lakebase.get_history(first.table.config_id)
    assert history["metadata_id"] == first.metadata_id
    assert (history["status"], history["queued_at"]) == ("Queued", clock.current)


def test_claim_skips_rows_locked_by_a_concurrent_claim(
    lakebase: LakebaseClient, postgres_dsn: str, registration
) -> None:
    for i in range(6):
        lakebase.register_table(registration(f"t{i}"), "yaml")
    with psycopg.connect(postgres_dsn) as other:  # a second tick, mid-transaction
        locked = other.execute(
            "SELECT config_id FROM table_control ORDER BY config_id LIMIT 3 FOR UPDATE"
        ).fetchall()
        claimed = lakebase.claim_ready_tables(limit=10)
        assert {q.table.config_id for q in claimed}.isdisjoint({r[0] for r in locked})
        assert len(claimed) == 3


def test_concurrent_claims_never_queue_a_table_twice(
    postgres_dsn: str, lakebase: LakebaseClient, registration
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for i in range(200):
        lakebase.register_table(registration(f"t{i:03}"), "yaml")
    clients = [LakebaseClient(postgres_dsn, clock=lakebase.now) for _ in range(6)]

    def drain(client: LakebaseClient) -> list[int]:
        taken: list[int] = []
        while batch := client.claim_ready_tables(limit=7):
            taken += [q.table.config_id for q in batch]
        return taken

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(drain, clients))
    everything = [cid for taken in results for cid in taken]
    assert len(everything) == len(set(everything)) == 200
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM historical_metadata").fetchone() == (200,)


def test_monitor_queries_use_their_thresholds(
    lakebase: LakebaseClient, postgres_dsn: str, clock: ManualClock, registration
) -> None:
    lakebase.register_table(registration("q"), "yaml")
    lakebase.register_table(registration("r"), "yaml")
    lakebase.claim_ready_tables(limit=1)  # q: Queued now
    r = lakebase.get_table_details("r")
    assert r is not None
    lakebase.update_control_status(r.config_id, Status.IN_PROGRESS, dagster_run_url="run-r")
    clock.advance(minutes=60)
    assert lakebase.get_long_queued(timedelta(minutes=60)) == []
    clock.advance(seconds=1)
    assert [t.control_key for t in lakebase.get_long_queued(timedelta(minutes=60))] == ["q"]
    assert lakebase.get_long_running(timedelta(minutes=180)) == []
    clock.advance(minutes=120)
    [running] = lakebase.get_long_running(timedelta(minutes=180))
    assert (running.control_key, running.last_dagster_run) == ("r", "run-r")


def test_guarded_status_update_leaves_a_row_that_moved_on(
    lakebase: LakebaseClient, registration
) -> None:
    config_id = lakebase.register_table(registration("a"), "yaml")
    lakebase.update_control_status(config_id, Status.SUCCEEDED)
    changed = lakebase.update_control_status(
        config_id, Status.FAILED, "too slow", expected=Status.IN_PROGRESS
    )
    table = lakebase.get_table(config_id)
    assert not changed and table is not None and table.last_status == "Succeeded"


def test_success_advances_schedule_watermark_and_history(
    lakebase: LakebaseClient, clock: ManualClock, registration
) -> None:
    lakebase.register_table(
        registration("inc", load_strategy="incremental", incremental_column="updated_at"),
        "yaml",
    )
    [queued] = lakebase.claim_ready_tables(limit=1)
    due = lakebase.record_load_success(queued.table.config_id, queued.metadata_id, 5, "99", 1.5)
    assert due == datetime(2026, 1, 15, 13, 0, tzinfo=UTC)  # hourly cron after 12:00
    table = lakebase.get_table(queued.table.config_id)
    assert table is not None
    assert (table.last_status, table.incremental_value, table.last_rows_loaded) == (
        "Succeeded",
        "99",
        5,
    )
    assert table.next_load_date_time == due and table.retry_count == 0
    [history] = lakebase.get_history(queued.table.config_id)
    assert (history["status"], history["rows_loaded"], history["watermark_after"]) == (
        "Succeeded",
        5,
        "99",
    )
    assert history["watermark_before"] is None


def test_failure_then_retry_or_review(
    lakebase: LakebaseClient, clock: ManualClock, registration
) -> None:
    config_id = lakebase.register_table(registration("f"), "yaml")
    [queued] = lakebase.claim_ready_tables(limit=1)
    lakebase.record_load_failure(config_id, queued.metadata_id, "connection refused")
    assert [t.config_id for t in lakebase.get_failed_for_analysis(3)] == [config_id]
    lakebase.reset_for_retry(config_id, "[AI Analysis - Retry Recommended] transient")
    table = lakebase.get_table(config_id)
    assert table is not None
    assert (table.last_status, table.retry_count) == (None, 1)
    assert table.last_status_message == "[AI Analysis - Retry Recommended] transient"
    assert lakebase.get_control_tables() == []  # backing off: due 15 minutes after the failure
    clock.advance(minutes=15)
    assert [t.config_id for t in lakebase.get_control_tables()] == [config_id]

    [again] = lakebase.claim_ready_tables(limit=1)
    lakebase.record_load_failure(config_id, again.metadata_id, "relation does not exist")
    lakebase.mark_for_review(config_id, "[AI Analysis - Requires Review] missing table")
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Failed" and table.requires_review
    assert lakebase.get_failed_for_analysis(3) == []
    assert [h["error_message"] for h in lakebase.get_history(config_id)] == [
        "connection refused",
        "relation does not exist",
    ]


def test_failed_tables_past_max_retries_are_not_analysed(
    lakebase: LakebaseClient, postgres_dsn: str, registration
) -> None:
    lakebase.register_table(registration("x"), "yaml")
    _set(postgres_dsn, "x", last_status="Failed", retry_count=3)
    assert lakebase.get_failed_for_analysis(3) == []
    assert len(lakebase.get_failed_for_analysis(4)) == 1


def test_landing_tables_and_staging_flag(
    lakebase: LakebaseClient, postgres_dsn: str, registration
) -> None:
    a = lakebase.register_table(registration("a"), "yaml")
    lakebase.register_table(registration("b"), "yaml")
    _set(postgres_dsn, "a", last_status="Succeeded")
    assert [t.config_id for t in lakebase.get_unprocessed_landing_tables()] == [a]
    assert lakebase.mark_staging_processed([a]) == 1
    assert lakebase.get_unprocessed_landing_tables() == []


def test_update_metadata_accepts_only_history_columns(
    lakebase: LakebaseClient, registration
) -> None:
    config_id = lakebase.register_table(registration("m"), "yaml")
    metadata_id = lakebase.insert_initial_metadata(config_id, "m", "full")
    lakebase.update_metadata(metadata_id, databricks_run_url="https://dbx/run/1", rows_loaded=3)
    [row] = lakebase.get_history(config_id)
    assert (row["databricks_run_url"], row["rows_loaded"]) == ("https://dbx/run/1", 3)
    with pytest.raises(ValueError, match="not historical_metadata columns: config_id"):
        lakebase.update_metadata(metadata_id, config_id=5)


def test_hostile_names_are_stored_as_data(
    lakebase: LakebaseClient, postgres_dsn: str, registration
) -> None:
    hostile = 'x"; DROP TABLE table_control; --'
    lakebase.register_table(registration(hostile, source_table_name=hostile), "yaml")
    table = lakebase.get_table_details(hostile)
    assert table is not None and table.source_table_name == hostile


def test_unlisted_yaml_tables_are_deactivated(lakebase: LakebaseClient, registration) -> None:
    lakebase.register_table(registration("keep"), "yaml")
    lakebase.register_table(registration("gone"), "yaml")
    lakebase.register_table(registration("manual"), "sql")
    assert lakebase.deactivate_unlisted("yaml", keep=["keep"]) == ["gone"]
    assert {t.control_key for t in lakebase.get_control_tables()} == {"keep", "manual"}


def test_sync_registrations_applies_changes_once(lakebase: LakebaseClient, registration) -> None:
    first = lakebase.sync_registrations("yaml", [registration("a"), registration("b")])
    assert first is not None and len(first.registered) == 2 and first.deactivated == []
    assert lakebase.sync_registrations("yaml", [registration("a"), registration("b")]) is None
    changed = lakebase.sync_registrations("yaml", [registration("a", cron_schedule="5 * * * *")])
    assert changed is not None and changed.deactivated == ["b"]
    table = lakebase.get_table_details("a")
    assert table is not None and table.cron_schedule == "5 * * * *"


def test_a_monitor_failure_closes_the_claims_history_record(
    lakebase: LakebaseClient, registration
) -> None:
    config_id = lakebase.register_table(registration("s"), "yaml")
    [queued] = lakebase.claim_ready_tables(limit=1)
    fail = lakebase.record_load_failure
    assert fail(config_id, queued.metadata_id, "stuck", expected=[Status.QUEUED])
    assert not fail(config_id, queued.metadata_id, "stuck again", expected=[Status.QUEUED])
    [history] = lakebase.get_history(config_id)
    assert (history["metadata_id"], history["status"]) == (queued.metadata_id, "Failed")
    assert history["error_message"] == "stuck"
