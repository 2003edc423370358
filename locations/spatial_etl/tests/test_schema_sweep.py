"""The scheduled sweep of ephemeral PostGIS schemas left by killed runs: it trusts the
schema's advisory lock, never Dagster's run status, and fails the run in the ledger."""

import uuid
from urllib.parse import urlparse

import dagster as dg
import pytest

from spatial_etl.definitions import defs
from spatial_etl.schema_sweep import postgis_schema_sweep_job
from spatial_platform import PostGISResource, RunIdSchemaMapping
from spatial_platform.ledger import LedgerStatus, ManifestRecord
from spatial_platform.mongodb_resource import MongoDBResource


@pytest.fixture
def postgis(postgis_dsn: str) -> PostGISResource:
    url = urlparse(postgis_dsn)
    return PostGISResource(
        host=url.hostname or "127.0.0.1", port=url.port or 5432, database=url.path.lstrip("/")
    )


def test_the_sweep_runs_on_a_schedule() -> None:
    repository = defs().get_repository_def()
    schedule = repository.get_schedule_def("postgis_schema_sweep_schedule")
    assert schedule.job_name == "postgis_schema_sweep_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_a_dead_runs_schema_is_dropped_and_its_run_failed_in_the_ledger(
    postgis: PostGISResource, mongodb: MongoDBResource
) -> None:
    dead, live = str(uuid.uuid4()), str(uuid.uuid4())
    mongodb.insert_manifest(
        ManifestRecord(batch_id="join_1", manifest_key="manifests/join_1.json", dagster_run_id=dead)
    )
    mongodb.insert_run(dead, "join_1", "join_asset_job")
    # A killed run leaves its schema and no session holding it.
    dead_schema = RunIdSchemaMapping.from_run_id(dead).schema_name
    postgis.execute_sql(f'CREATE SCHEMA "{dead_schema}"')

    with postgis.ephemeral_schema(live) as live_schema:
        result = postgis_schema_sweep_job.execute_in_process(
            resources={"postgis": postgis, "mongodb": mongodb}
        )
        assert result.success
        assert result.output_for_node("sweep_orphaned_postgis_schemas") == [dead_schema]
        assert [m.schema_name for m in postgis.list_ephemeral_schemas()] == [live_schema]

    record = mongodb.get_manifest("join_1")
    assert record is not None and record.status is LedgerStatus.FAILURE
    assert f"its schema {dead_schema} was left with no live session" in (record.error_message or "")
    run = mongodb.get_run(dead)
    assert run is not None and run.status is LedgerStatus.FAILURE
