"""The dbt project over two loads: marts, tests as asset checks, SCD2 snapshots."""

from datetime import datetime

import dagster as dg
import duckdb
import pytest

from estore.schema_changes import SOURCE_COLUMNS_METADATA_KEY

# The session's dbt builds run in the first test's setup: generous on a busy machine.
pytestmark = pytest.mark.timeout(1500)

MODELS = {
    "staging/stg_events",
    "marts/fct_events",
    "marts/fct_sessions",
    "marts/dim_users",
    "marts/dim_products",
    "marts/dim_categories",
    "marts/dim_user_rfm",
    "marts/metrics_churn",
    "marts/metrics_conversion_rates",
    "marts/metrics_rfm_segments",
}
SNAPSHOTS = {"snapshots/snap_user_rfm", "snapshots/snap_user_status"}


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        e.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None
    }


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }


def test_every_run_succeeds_with_the_assets_of_its_job(two_loads) -> None:
    for name, result in two_loads.runs.items():
        assert result.success, name
        expected = {"first/all": MODELS | SNAPSHOTS, "second/dbt_snapshot_job": SNAPSHOTS}
        assert materialized(result) == expected.get(name, MODELS), name


def test_dbt_tests_run_as_asset_checks_and_pass(two_loads) -> None:
    evaluated = checks(two_loads.runs["second/dbt_job"])
    assert all(evaluated.values()), [name for name, ok in evaluated.items() if not ok]
    assert {
        "non_negative_stg_events_price",
        "unique_fct_events_event_id",
        "relationships_fct_events_user_id__user_id__ref_dim_users_",
        "assert_revenue_reconciles",
    } <= set(evaluated), sorted(evaluated)


def test_each_event_counts_once_across_loads(two_loads, warehouse) -> None:
    distinct = set(warehouse.first_load + warehouse.second_load)
    [(events,)] = warehouse.query(
        two_loads.warehouse, "select count(*) from estore_marts.fct_events"
    )
    assert events == len(distinct)


def test_marts_reflect_the_second_load(two_loads, warehouse) -> None:
    users = {
        row[0]: row[1:]
        for row in warehouse.query(
            two_loads.warehouse,
            "select user_id, purchase_count, total_revenue, activity_status "
            "from estore_marts.dim_users",
        )
    }
    assert users["1"] == (2, 300.0, "active")
    assert users["3"] == (0, 0.0, "prospect")
    sessions = {
        row[0]: row[1]
        for row in warehouse.query(
            two_loads.warehouse, "select session_id, event_count from estore_marts.fct_sessions"
        )
    }
    assert sessions["s3"] == 2 and sessions["s3_timeout_1"] == 1
    [(rfm_users,)] = warehouse.query(
        two_loads.warehouse, "select count(*) from estore_marts.dim_user_rfm"
    )
    [(segmented,)] = warehouse.query(
        two_loads.warehouse, "select sum(customer_count) from estore_marts.metrics_rfm_segments"
    )
    assert rfm_users == segmented == 5
    [overall] = warehouse.query(
        two_loads.warehouse,
        "select total_sessions, sessions_with_purchase, view_to_cart_rate "
        "from estore_marts.metrics_conversion_rates where metric_level = 'overall'",
    )
    # s1 s2 s3 s3_timeout_1 s4 s5 s6 s7; views in s1 s2 s3 s3_timeout_1 s7, carts in s1 s2.
    assert overall == (8, 6, pytest.approx(0.4))
    categories = warehouse.query(
        two_loads.warehouse,
        "select category_lvl_1, category_lvl_2, category_lvl_3 from estore_marts.dim_categories "
        "where category_id = '20'",
    )
    assert categories == [("appliances", "kitchen", "oven")]


def test_snapshot_keeps_history_of_changed_users(two_loads, warehouse) -> None:
    rows = warehouse.query(
        two_loads.warehouse,
        "select user_id, purchase_count, customer_ltv, dbt_valid_to is not null "
        "from estore_snapshots.snap_user_status order by user_id, dbt_valid_from",
    )
    user_1 = [r[1:] for r in rows if r[0] == "1"]
    assert user_1 == [(1, 100.0, True), (2, 300.0, False)]
    assert [r[1:] for r in rows if r[0] == "3"] == [(0, 0.0, False)]
    assert len(rows) == 6 + 1


def test_rfm_snapshot_has_one_current_row_per_customer(two_loads, warehouse) -> None:
    rows = warehouse.query(
        two_loads.warehouse,
        "select user_id, count(*) filter (where dbt_valid_to is null), count(*) "
        "from estore_snapshots.snap_user_rfm group by user_id",
    )
    assert {r[0] for r in rows} == {"1", "2", "4", "5", "6"}
    assert all(current == 1 for _, current, _ in rows)


def test_incremental_models_record_the_source_columns_they_were_built_from(
    two_loads,
) -> None:
    event = two_loads.instance.get_latest_materialization_event(
        dg.AssetKey(["marts", "fct_events"])
    )
    assert event is not None and event.asset_materialization is not None
    recorded = event.asset_materialization.metadata[SOURCE_COLUMNS_METADATA_KEY].value
    assert recorded == {
        "source.estore.estore_raw.events": {
            "event_time": "TIMESTAMP",
            "event_type": "VARCHAR",
            "product_id": "BIGINT",
            "category_id": "BIGINT",
            "category_code": "VARCHAR",
            "brand": "VARCHAR",
            "price": "DOUBLE",
            "user_id": "BIGINT",
            "user_session": "VARCHAR",
            "_loaded_at": "TIMESTAMP",
        }
    }


def test_a_failing_dbt_test_fails_its_check_and_the_run(
    two_loads, warehouse, warehouse_copy
) -> None:
    when, _, product, category, code, brand, _, user, session = warehouse.second_load[1]
    refund_as_purchase = (when.replace(hour=15), "purchase", product, category, code, brand)
    warehouse.insert_events(warehouse_copy, [(*refund_as_purchase, -5.0, user, session)])
    result = two_loads.defs.resolve_job_def("dbt_job").execute_in_process(
        instance=two_loads.instance,
        asset_selection=[dg.AssetKey(["staging", "stg_events"])],
        raise_on_error=False,
    )
    assert not result.success
    evaluated = checks(result)
    assert evaluated["non_negative_stg_events_price"] is False
    assert evaluated["not_null_stg_events_price"] is True


def test_a_late_file_reaches_the_marts_and_a_lost_row_fails_the_build(
    two_loads, warehouse, warehouse_copy
) -> None:
    # A file fixed and re-delivered weeks later: its events are far older than the newest.
    shoes = (1003, 30, "apparel.shoes", None)
    late = [
        (datetime(2024, 2, 10, 9), "view", *shoes, 20.0, 3, "s9"),
        (datetime(2024, 2, 10, 9, 5), "purchase", *shoes, 20.0, 3, "s9"),
    ]
    warehouse.insert_events(warehouse_copy, late)
    dbt_job = two_loads.defs.resolve_job_def("dbt_job")

    result = dbt_job.execute_in_process(instance=two_loads.instance, raise_on_error=False)

    in_fct = warehouse.query(
        warehouse_copy, "select count(*) from estore_marts.fct_events where user_session = 's9'"
    )
    assert in_fct == [(2,)]
    assert result.success
    assert checks(result)["assert_raw_events_reach_fct_events"] is True
    buyer = warehouse.query(
        warehouse_copy, "select purchase_count from estore_marts.dim_users where user_id = '3'"
    )
    assert buyer == [(1,)]  # user 3 only looked before the late file

    # Rows loaded long ago but missing from the mart fail the reconciliation and the run.
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("delete from estore_marts.fct_events where user_session = 's9'")
        con.execute(
            "update estore_raw.events set _loaded_at = _loaded_at - interval 2 day "
            "where user_session = 's9'"
        )
    lost = dbt_job.execute_in_process(
        instance=two_loads.instance,
        asset_selection=[dg.AssetKey(["marts", "fct_events"])],
        raise_on_error=False,
    )
    assert not lost.success
    assert checks(lost)["assert_raw_events_reach_fct_events"] is False
