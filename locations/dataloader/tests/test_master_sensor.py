"""master_sensor: syncs YAML registrations, claims due tables, one RunRequest each."""

import dagster as dg

from dataloader.definitions import defs
from dataloader.resources.lakebase import LakebaseResource
from lakebase import LakebaseClient
from lakebase.testing import ManualClock

CONFIG_FIELDS = {
    "config_id",
    "control_key",
    "metadata_id",
    "source_catalog",
    "source_schema_name",
    "source_table_name",
    "destination_catalog",
    "destination_schema_name",
    "destination_table_name",
    "db_type",
    "db_config_value",
    "db_kv_scope",
    "load_strategy",
    "incremental_column",
    "incremental_value",
    "retry_count",
}


def skip_message(result: dg.SensorResult) -> str | None:
    return result.skip_reason.skip_message if result.skip_reason else None


def tick(
    definitions: dg.Definitions, lakebase_resource: LakebaseResource, instance: dg.DagsterInstance
) -> dg.SensorResult:
    sensor = definitions.resolve_sensor_def("master_sensor")
    context = dg.build_sensor_context(
        instance=instance, resources={"lakebase": lakebase_resource}, definitions=definitions
    )
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_claims_ten_due_tables_per_tick_with_full_config(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    instance,
    source_dsn: str,
    registration,
) -> None:
    for i in range(12):
        lakebase.register_table(registration(f"t{i:02}", source_dsn), "sql")
    definitions = defs()
    first = tick(definitions, lakebase_resource, instance)
    assert len(first.run_requests or []) == 10
    request = (first.run_requests or [])[0]
    config = request.run_config["ops"]["dataloader__table_load"]["config"]
    assert set(config) == CONFIG_FIELDS
    assert config["control_key"] == "t00" and config["db_config_value"]["host"] == "127.0.0.1"
    assert request.run_key == f"load:{config['config_id']}:{config['metadata_id']}"
    assert request.tags["dataloader/control_key"] == "t00"
    table = lakebase.get_table(config["config_id"])
    assert table is not None and table.last_status == "Queued"
    [history] = lakebase.get_history(config["config_id"])
    assert history["metadata_id"] == config["metadata_id"]

    second = tick(definitions, lakebase_resource, instance)
    assert len(second.run_requests or []) == 4  # the last 2 SQL tables + the 2 YAML demo ones
    third = tick(definitions, lakebase_resource, instance)
    assert third.run_requests in (None, []) and skip_message(third) == "no table is due"


def test_yaml_registrations_reach_table_control_once(
    lakebase: LakebaseClient, lakebase_resource: LakebaseResource, instance, clock: ManualClock
) -> None:
    definitions = defs()
    tick(definitions, lakebase_resource, instance)
    orders = lakebase.get_table_details("demo.public.orders")
    assert orders is not None and orders.registered_by == "yaml"
    # The load asset's partitions follow table_control.
    assert set(instance.get_dynamic_partitions("dataloader_tables")) == {
        "demo.public.customers",
        "demo.public.orders",
    }
    assert orders.cron_schedule == "*/5 * * * *" and orders.last_status == "Queued"
    # Later ticks re-read the digest only: state set meanwhile is kept.
    clock.advance(minutes=1)
    tick(definitions, lakebase_resource, instance)
    again = lakebase.get_table_details("demo.public.orders")
    assert again is not None and again.last_status == "Queued"


def test_tables_not_due_are_left_for_later(
    lakebase: LakebaseClient,
    lakebase_resource,
    instance,
    source_dsn: str,
    clock: ManualClock,
    registration,
) -> None:
    lakebase.sync_registrations("yaml", [])  # no demo tables in this test
    config_id = lakebase.register_table(registration("later", source_dsn), "sql")
    metadata_id = lakebase.insert_initial_metadata(config_id, "later", "full")
    lakebase.record_load_success(config_id, metadata_id, 1, None, 0.1)  # next: 13:00
    definitions = dg.Definitions(sensors=[defs().resolve_sensor_def("master_sensor")])
    assert skip_message(tick(definitions, lakebase_resource, instance)) == "no table is due"
    clock.advance(minutes=59)
    assert skip_message(tick(definitions, lakebase_resource, instance)) == "no table is due"
    clock.advance(minutes=1)
    assert len(tick(definitions, lakebase_resource, instance).run_requests or []) == 1


def test_a_row_with_credentials_in_db_config_value_fails_without_a_run(
    lakebase: LakebaseClient, lakebase_resource, instance, source_dsn: str, registration
) -> None:
    lakebase.sync_registrations("yaml", [])
    config = {"host": "127.0.0.1", "database": "src", "user": "u", "Password": "hunter2"}
    leaky = lakebase.register_table(
        registration("leaky", source_dsn, db_config_value=config), "sql"
    )
    lakebase.register_table(registration("fine", source_dsn), "sql")
    definitions = dg.Definitions(sensors=[defs().resolve_sensor_def("master_sensor")])
    result = tick(definitions, lakebase_resource, instance)
    assert [r.tags["dataloader/control_key"] for r in result.run_requests or []] == ["fine"]
    assert "hunter2" not in repr(result)
    table = lakebase.get_table(leaky)
    assert table is not None and table.last_status == "Failed"
    assert table.last_status_message == (
        "db_config_value must not hold Password: put credentials in the secret scope named "
        "by db_kv_scope"
    )
