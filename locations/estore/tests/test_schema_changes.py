"""Schema-change detection: an incremental model whose source columns changed is stopped
before dbt runs and alerted as needing a full refresh, with the columns named."""

import dagster as dg
import duckdb
import pytest
from pytest_httpserver import HTTPServer

from estore.schema_changes import ColumnChange, diff_columns, find_full_refresh_needed

RAW = {"event_time": "TIMESTAMP", "price": "DOUBLE", "brand": "VARCHAR"}
SOURCE = "source.estore.estore_raw.events"


def test_diff_names_added_removed_and_retyped_columns() -> None:
    now = {"EVENT_TIME": "TIMESTAMP", "price": "VARCHAR", "loyalty_tier": "VARCHAR"}
    change = diff_columns("estore_raw.events", RAW, now)
    assert change == ColumnChange(
        source="estore_raw.events",
        added={"loyalty_tier": "VARCHAR"},
        removed={"brand": "VARCHAR"},
        retyped={"price": ("DOUBLE", "VARCHAR")},
    )
    assert change is not None
    assert change.describe() == (
        "estore_raw.events columns added loyalty_tier (VARCHAR); removed brand (VARCHAR); "
        "retyped price (DOUBLE -> VARCHAR)"
    )
    assert diff_columns("estore_raw.events", RAW, dict(RAW)) is None


def test_only_models_with_a_recorded_baseline_and_a_change_need_a_refresh() -> None:
    models = {"model.estore.fct_events": {SOURCE}, "model.estore.dim_products": {SOURCE}}
    recorded = {"model.estore.fct_events": {SOURCE: RAW}, "model.estore.dim_products": None}
    names = {SOURCE: "estore_raw.events", "model.estore.fct_events": "fct_events"}
    current = {SOURCE: {**RAW, "loyalty_tier": "VARCHAR"}}
    [needed] = find_full_refresh_needed(models, recorded, current, names)
    assert needed.describe() == (
        "fct_events needs a full refresh: estore_raw.events columns added loyalty_tier (VARCHAR)"
    )
    assert find_full_refresh_needed(models, recorded, {SOURCE: RAW}, names) == []


@pytest.mark.timeout(1500)  # may set up the session's dbt builds
def test_a_new_raw_column_stops_dbt_job_before_dbt_runs(
    two_loads, warehouse_copy, alert_sink: HTTPServer
) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("alter table estore_raw.events add column loyalty_tier varchar")
    fct_events = dg.AssetKey(["marts", "fct_events"])
    before = two_loads.instance.get_latest_materialization_event(fct_events)

    result = two_loads.defs.resolve_job_def("dbt_job").execute_in_process(
        instance=two_loads.instance, raise_on_error=False
    )

    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.user_failure_data.description  # type: ignore[union-attr]
    assert "3 incremental model(s) need a full refresh" in message
    for model in ("fct_events", "dim_categories", "dim_products"):
        assert (
            f"{model} needs a full refresh: estore_raw.events columns added loyalty_tier (VARCHAR)"
        ) in message
    assert "estore/dbt_full_refresh=true" in message
    # The alert went out through the location's sink (the local webhook here) ...
    [(request, _)] = alert_sink.log
    alert = request.get_json()
    assert alert["kind"] == "dbt_schema_change" and alert["location"] == "estore"
    assert (
        alert["details"]["fct_events"] == "estore_raw.events columns added loyalty_tier (VARCHAR)"
    )
    assert "estore/dbt_full_refresh=true" in alert["details"]["Action"]
    # ... and dbt never started.
    assert two_loads.instance.get_latest_materialization_event(fct_events) == before
    assert result.get_asset_materialization_events() == []


@pytest.mark.parametrize("tag, expected", [("true", True), ("false", False)])
def test_the_full_refresh_tag_adds_the_dbt_flag(estore_defs, tag: str, expected: bool) -> None:
    from estore.components.dbt_project import FULL_REFRESH_TAG, full_refresh_requested

    context = dg.build_asset_context(run_tags={FULL_REFRESH_TAG: tag})
    assert full_refresh_requested(context) is expected  # type: ignore[arg-type]
