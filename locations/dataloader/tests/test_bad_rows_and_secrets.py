"""One bad row never holds back the others; credentials never reach run config; retry
analysis runs that fail are requested again, within a bound."""

import uuid
from functools import cache

import dagster as dg
import psycopg
import pytest
from pydantic import ValidationError

from dataloader.assets.table_load import dataloader_table_load
from dataloader.components.table_load import TableLoad
from dataloader.definitions import defs
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource
from dataloader.tags import RETRY_OF_TAG
from lakebase import LakebaseClient
from lakebase.testing import ManualClock


@cache
def location() -> dg.Definitions:
    """The location's definitions, loaded once per test module."""
    return defs()


def tick(name: str, lakebase_resource: LakebaseResource, instance: dg.DagsterInstance):
    definitions = dg.Definitions(sensors=[location().resolve_sensor_def(name)])
    context = dg.build_sensor_context(
        instance=instance, resources={"lakebase": lakebase_resource}, definitions=definitions
    )
    result = definitions.resolve_sensor_def(name)(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_rows_written_by_sql_that_cannot_load_fail_alone_and_the_tick_goes_on(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    instance: dg.DagsterInstance,
    postgres_dsn: str,
    source_dsn: str,
    registration,
) -> None:
    for key in ("a", "b", "c", "d"):
        lakebase.register_table(registration(key, source_dsn), "sql")
    with psycopg.connect(postgres_dsn) as conn:  # rows from before the constraints existed
        conn.execute("ALTER TABLE table_control DROP CONSTRAINT table_control_db_config_is_object")
        conn.execute("UPDATE table_control SET db_config_value = '7' WHERE control_key = 'a'")
        conn.execute("UPDATE table_control SET cron_schedule = 'hourly' WHERE control_key = 'b'")
        conn.execute(
            "UPDATE table_control SET db_config_value = db_config_value"
            ' || \'{"options": "{\\"password\\": \\"hunter2\\"}"}\' WHERE control_key = \'c\''
        )
    result = tick("master_sensor", lakebase_resource, instance)
    assert [r.tags["dataloader/control_key"] for r in result.run_requests or []] == ["d"]
    messages = {str(e.partition): e.metadata["message"].value for e in result.asset_events}
    assert messages == {
        "a": "db_config_value must be a JSON object with host and database, got a JSON number",
        "b": "cron_schedule 'hourly' is not a valid cron expression (e.g. '0 2 * * *')",
        "c": "db_config_value must not hold options.password: put credentials in the secret "
        "scope named by db_kv_scope",
    }
    assert "hunter2" not in repr(result)
    for key, message in messages.items():
        table = lakebase.get_table_details(key)
        assert table is not None and table.last_status == "Failed"
        assert table.last_status_message == message and table.requires_review
    assert set(instance.get_dynamic_partitions("dataloader_tables")) == {"a", "b", "c", "d"}
    # Flagged rows are not picked again, tick after tick.
    assert tick("master_sensor", lakebase_resource, instance).run_requests == []


def test_a_launchpad_run_with_a_credential_fails_before_it_touches_anything(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    resources: dict,
    instance: dg.DagsterInstance,
    source_dsn: str,
    source_config,
    registration,
) -> None:
    config_id = lakebase.register_table(registration("customers", source_dsn), "sql")
    [request] = tick("master_sensor", lakebase_resource, instance).run_requests or []
    op_config = request.run_config["ops"]["dataloader__table_load"]["config"]
    # A password key in db_config_value is a config error before any run (see
    # test_secrets_in_run_config); one hidden in a text field fails the run here.
    leaky = {**op_config, "source_catalog": "postgresql://u:hunter2@db/x"}
    result = dg.materialize(
        [dataloader_table_load],
        run_config={"ops": {"dataloader__table_load": {"config": leaky}}},
        resources=resources,
        instance=instance,
        partition_key="customers",
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    error = str(failure.step_failure_data.error)
    assert "source_catalog must not hold" in error
    assert "hunter2" not in error
    table = lakebase.get_table(config_id)
    assert table is not None and table.last_status == "Queued"  # nothing written


@pytest.mark.parametrize(
    "change",
    [
        {"db_config_value": {"host": "h", "database": "d", "db_password": "hunter2"}},
        {"db_config_value": {"host": "h", "database": "d", "ssl": {"private_key": "hunter2"}}},
        {"db_config_value": {"host": "h", "database": "d", "extra": '{"token": "hunter2"}'}},
        {"source_table_name": "postgresql://u:hunter2@db/x"},
    ],
)
def test_the_yaml_component_refuses_credentials_anywhere(change: dict) -> None:
    valid = {
        "control_key": "crm.public.orders",
        "db_type": "postgres",
        "db_config_value": {"host": "db", "database": "crm"},
        "source_schema_name": "public",
        "source_table_name": "orders",
        "destination_catalog": "bronze",
        "destination_schema_name": "crm",
        "destination_table_name": "orders",
    }
    with pytest.raises(ValidationError) as caught:
        TableLoad.model_validate({**valid, **change})
    assert "must not hold" in str(caught.value) and "hunter2" not in str(caught.value)


def test_a_failed_retry_analysis_is_requested_again_then_flagged(
    lakebase: LakebaseClient,
    lakebase_resource: LakebaseResource,
    instance: dg.DagsterInstance,
    clock: ManualClock,
    registration,
) -> None:
    config_id = lakebase.register_table(registration("f", "postgresql://x@h/x"), "sql")
    [queued] = lakebase.claim_ready_tables(limit=1)
    lakebase.record_load_failure(config_id, queued.metadata_id, "connection refused")
    keys = []
    for _ in range(3):
        [request] = tick("failed_monitor", lakebase_resource, instance).run_requests or []
        keys.append(request.run_key)
        # The analysis run fails (its cluster is gone, say).
        instance.add_run(
            dg.DagsterRun(
                job_name="__ASSET_JOB",
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.FAILURE,
                tags=request.tags,
            )
        )
        assert request.tags[RETRY_OF_TAG].startswith(f"{config_id}:")
    assert len(set(keys)) == 3
    result = tick("failed_monitor", lakebase_resource, instance)
    assert not result.run_requests
    table = lakebase.get_table(config_id)
    assert table is not None and table.requires_review and table.last_status == "Failed"
    assert (table.last_status_message or "").startswith(
        "[AI Analysis - Requires Review] the retry analysis failed 3 times for this failure"
    )


def test_the_load_script_refuses_credentials_and_exits_non_zero(source_config) -> None:
    """The last place config enters: the Pipes script itself (whatever launched it)."""
    extras = {
        "control_key": "customers",
        "db_type": "postgres",
        "db_config_value": {"host": "h", "database": "d", "conn": '{"passwd": "hunter2"}'},
        "load_strategy": "full",
    }

    @dg.asset
    def direct(context: dg.AssetExecutionContext) -> None:
        PipesComputeResource().run_script(context, "dataloader_pipe.py", extras, "claim:1")

    with dg.instance_for_test() as instance:
        result = dg.materialize([direct], instance=instance, raise_on_error=False)
        assert not result.success
        [failure] = [
            e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
        ]
        error = failure.step_failure_data.error
        assert error is not None and error.cause is not None
        assert "failed with code 1" in error.cause.message
        reported = [
            entry.dagster_event.engine_event_data.error
            for entry in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
            if entry.dagster_event and entry.dagster_event.engine_event_data.error
        ]
        [message] = [e.message.strip() for e in reported if e.cls_name == "ReportedFailure"]
        assert message.endswith(
            "ReportedFailure: db_config_value must not hold conn.passwd: put credentials in the "
            "secret scope named by db_kv_scope"
        )
        assert "hunter2" not in message
