"""End to end: master_sensor claims, the asset loads through Pipes, Lakebase records it.

The Pipes script runs as a real subprocess (the local compute back-end), reads the real
source database with COPY and writes a local Delta table.
"""

from datetime import timedelta
from functools import cache

import dagster as dg
import psycopg
import pytest
from deltalake import DeltaTable

from dataloader.assets.table_load import dataloader_table_load
from dataloader.definitions import defs
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseClient
from lakebase.testing import ManualClock


@cache
def location() -> dg.Definitions:
    """The location's definitions, loaded once per test module."""
    return defs()


def claim_all(
    lakebase_resource: LakebaseResource, instance: dg.DagsterInstance
) -> list[dg.RunRequest]:
    definitions = dg.Definitions(sensors=[location().resolve_sensor_def("master_sensor")])
    context = dg.build_sensor_context(
        instance=instance, resources={"lakebase": lakebase_resource}, definitions=definitions
    )
    result = definitions.resolve_sensor_def("master_sensor")(context)
    assert isinstance(result, dg.SensorResult)
    return list(result.run_requests or [])


def run(request: dg.RunRequest, resources: dict, instance: dg.DagsterInstance) -> bool:
    return materialize(request, resources, instance).success


def materialize(
    request: dg.RunRequest, resources: dict, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [dataloader_table_load],
        run_config=request.run_config,
        resources=resources,
        instance=instance,
        tags=request.tags,
        partition_key=request.partition_key,
        raise_on_error=False,
    )


def delta_rows(resources: dict, table: str) -> list[dict]:
    uri = resources["databricks_rest"].table_uri("bronze", "shop", table)
    key = "order_id" if table == "orders" else "customer_id"
    return DeltaTable(uri).to_pyarrow_table().sort_by(key).to_pylist()


def test_full_then_incremental_loads_end_to_end(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    resources: dict,
    instance: dg.DagsterInstance,
    source_dsn: str,
    clock: ManualClock,
    registration,
) -> None:
    customers = lakebase.register_table(registration("customers", source_dsn), "sql")
    orders = lakebase.register_table(
        registration(
            "orders", source_dsn, load_strategy="incremental", incremental_column="updated_at"
        ),
        "sql",
    )
    requests = claim_all(lakebase_resource, instance)
    assert len(requests) == 2
    results = {r.partition_key: materialize(r, resources, instance) for r in requests}
    assert all(result.success for result in results.values())
    # Each table is a partition; each load carries its check against the source.
    [materialization] = results["orders"].asset_materializations_for_node("dataloader__table_load")
    assert materialization.partition == "orders"
    assert materialization.metadata["rows_loaded"].value == 100
    [check] = results["orders"].get_asset_check_evaluations()
    assert check.check_name == "rows_match_source" and check.passed
    assert check.metadata["source_rows"].value == 100

    table = lakebase.get_table(orders)
    assert table is not None and table.last_status == "Succeeded"
    assert table.last_rows_loaded == 100 and table.incremental_value is not None
    assert table.incremental_value.startswith("2026-01-01T01:40:00")
    assert table.last_dagster_run and "/runs/" in table.last_dagster_run
    assert table.next_load_date_time == clock.current.replace(minute=0) + timedelta(hours=1)
    [history] = lakebase.get_history(orders)
    assert (history["status"], history["rows_loaded"]) == ("Succeeded", 100)
    assert history["dagster_run_id"] and history["started_at"] == clock.current
    rows = delta_rows(resources, "orders")
    assert len(rows) == 100 and float(rows[-1]["amount"]) == 150.0
    customer_rows = delta_rows(resources, "customers")
    assert len(customer_rows) == 20 and customer_rows[0]["country"] is None
    assert lakebase.get_table(customers).last_status == "Succeeded"  # type: ignore[union-attr]

    with psycopg.connect(source_dsn) as conn:
        conn.execute(
            "INSERT INTO orders SELECT i, i, timestamptz '2026-01-02 00:00:00+00' + i * interval '1 second'"
            " FROM generate_series(101, 130) i"
        )
    clock.advance(hours=1)
    requests = claim_all(lakebase_resource, instance)
    assert {r.tags["dataloader/control_key"] for r in requests} == {"customers", "orders"}
    assert all(run(r, resources, instance) for r in requests)
    table = lakebase.get_table(orders)
    assert table is not None and table.last_rows_loaded == 30
    assert table.incremental_value is not None and table.incremental_value.startswith("2026-01-02")
    assert len(delta_rows(resources, "orders")) == 130
    assert len(delta_rows(resources, "customers")) == 20  # full load overwrote, no duplicates


@pytest.mark.parametrize(
    ("overrides", "expected", "stage"),
    [
        ({"db_type": "oracle9"}, "db_type 'oracle9' is not supported", "claim"),
        ({"db_config_value": {"port": 1}}, "db_config_value is missing 'host'", "claim"),
        ({"destination_table_name": "../../escape"}, "is not a plain identifier", "claim"),
        ({"source_table_name": "no_such_table"}, "no_such_table", "load"),
        ({"source_table_name": 'x"; DROP TABLE customers; --'}, "does not exist", "load"),
    ],
)
def test_bad_input_fails_the_row_with_a_clear_message_and_others_go_on(
    overrides: dict,
    expected: str,
    stage: str,
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    resources: dict,
    instance: dg.DagsterInstance,
    source_dsn: str,
    registration,
) -> None:
    bad = lakebase.register_table(registration("bad", source_dsn, **overrides), "sql")
    good = lakebase.register_table(registration("customers", source_dsn), "sql")
    outcomes = {
        r.tags["dataloader/control_key"]: run(r, resources, instance)
        for r in claim_all(lakebase_resource, instance)
    }
    # A row that cannot be loaded as written fails at the claim, without a run; one whose
    # source is wrong fails in its own run. Either way the others load.
    assert outcomes == (
        {"customers": True} if stage == "claim" else {"bad": False, "customers": True}
    )
    failed = lakebase.get_table(bad)
    assert failed is not None and failed.last_status == "Failed"
    assert expected in (failed.last_status_message or "")
    assert "ReportedFailure" not in (failed.last_status_message or "")  # the error, word for word
    assert failed.requires_review == (stage == "claim")
    [history] = lakebase.get_history(bad)
    assert history["status"] == "Failed" and expected in history["error_message"]
    assert lakebase.get_table(good).last_status == "Succeeded"  # type: ignore[union-attr]
    with psycopg.connect(source_dsn) as conn:  # the hostile name executed nothing
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (20,)
