"""The run document lifecycle with real runs in a test instance: init_mongo_run_op creates it,
the run status sensors finish it and the manifest, and only the run that owns the manifest
decides its status."""

import dagster as dg
import pytest

from spatial_etl.ops.init_mongo_run import init_mongo_run_op
from spatial_etl.sensors.run_status import build_run_status_sensors
from spatial_platform.ledger import LedgerStatus, ManifestRecord
from spatial_platform.mongodb_resource import MongoDBResource


class Outcome(dg.Config):
    fail: bool = False


@dg.op
def lane_work(config: Outcome, run_object_id: str) -> str:
    if config.fail:
        raise ValueError(f"corrupt input for run document {run_object_id}")
    return run_object_id


@dg.job(name="ingest_job")
def ingest_job() -> None:
    lane_work(init_mongo_run_op())


@dg.job(name="unrelated_job")
def unrelated_job() -> None:
    lane_work(init_mongo_run_op())


class Ledger:
    """The three run status sensors, ticked the way the daemon ticks them."""

    def __init__(self, instance: dg.DagsterInstance, mongodb: MongoDBResource) -> None:
        self.instance = instance
        self.mongodb = mongodb
        sensors = build_run_status_sensors(["ingest_job"], 30, dg.DefaultSensorStatus.RUNNING)
        self.defs = dg.Definitions(
            jobs=[ingest_job, unrelated_job], sensors=sensors, resources={"mongodb": mongodb}
        )
        self.cursors: dict[str, str | None] = {}
        self.tick_all()  # the first tick of a run status sensor only sets its cursor

    def tick(self, name: str) -> None:
        sensor = self.defs.resolve_sensor_def(name)
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(name),
            resources={"mongodb": self.mongodb},
            definitions=self.defs,
        )
        data = sensor.evaluate_tick(context)
        self.cursors[name] = data.cursor

    def tick_all(self) -> None:
        for name in (
            "manifest_run_failure_sensor",
            "manifest_run_canceled_sensor",
            "manifest_run_success_sensor",
        ):
            self.tick(name)

    def run(self, batch_id: str, fail: bool, job: dg.JobDefinition = ingest_job) -> str:
        result = self.defs.get_job_def(job.name).execute_in_process(
            run_config={"ops": {"lane_work": {"config": {"fail": fail}}}},
            instance=self.instance,
            tags={"batch_id": batch_id, "lane": "ingest"},
            raise_on_error=False,
        )
        return result.run_id


@pytest.fixture
def ledger(instance: dg.DagsterInstance, mongodb: MongoDBResource) -> Ledger:
    return Ledger(instance, mongodb)


def claim(mongodb: MongoDBResource, batch_id: str) -> None:
    assert mongodb.claim_manifest(
        ManifestRecord(batch_id=batch_id, manifest_key=f"manifests/{batch_id}.json", lane="ingest")
    )


def test_a_successful_run_marks_run_and_manifest_success(
    ledger: Ledger, mongodb: MongoDBResource
) -> None:
    claim(mongodb, "ok_1")
    run_id = ledger.run("ok_1", fail=False)
    run = mongodb.get_run(run_id)
    assert run is not None and run.status == LedgerStatus.RUNNING and run.job_name == "ingest_job"
    manifest = mongodb.get_manifest("ok_1")
    assert manifest is not None and manifest.dagster_run_id == run_id
    ledger.tick_all()
    run = mongodb.get_run(run_id)
    assert run is not None and run.status == LedgerStatus.SUCCESS
    assert run.completed_at is not None
    manifest = mongodb.get_manifest("ok_1")
    assert manifest is not None and manifest.status == LedgerStatus.SUCCESS


def test_a_failed_run_records_the_step_error_as_the_reason(
    ledger: Ledger, mongodb: MongoDBResource
) -> None:
    claim(mongodb, "bad_1")
    run_id = ledger.run("bad_1", fail=True)
    ledger.tick_all()
    manifest = mongodb.get_manifest("bad_1")
    assert manifest is not None and manifest.status == LedgerStatus.FAILURE
    assert manifest.error_message is not None
    assert manifest.error_message.startswith("Run failed: lane_work: ValueError: corrupt input")
    run = mongodb.get_run(run_id)
    assert run is not None and run.status == LedgerStatus.FAILURE
    assert run.error_message == manifest.error_message


def test_a_canceled_run_marks_the_manifest_canceled(
    ledger: Ledger, instance: dg.DagsterInstance, mongodb: MongoDBResource
) -> None:
    claim(mongodb, "stop_1")
    run = instance.create_run_for_job(ingest_job, tags={"batch_id": "stop_1", "lane": "ingest"})
    instance.report_run_canceled(run)
    ledger.tick_all()
    manifest = mongodb.get_manifest("stop_1")
    assert manifest is not None and manifest.status == LedgerStatus.CANCELED
    assert manifest.dagster_run_id == run.run_id
    assert manifest.error_message == f"Run canceled. See Dagster UI for details: {run.run_id}"
    recorded = mongodb.get_run(run.run_id)
    assert recorded is not None and recorded.status == LedgerStatus.CANCELED


def test_a_run_that_dies_before_its_first_op_is_still_recorded(
    ledger: Ledger, instance: dg.DagsterInstance, mongodb: MongoDBResource
) -> None:
    claim(mongodb, "early_1")
    run = instance.create_run_for_job(ingest_job, tags={"batch_id": "early_1", "lane": "ingest"})
    instance.report_run_failed(run, "resource mongodb failed to initialise")
    ledger.tick_all()
    manifest = mongodb.get_manifest("early_1")
    assert manifest is not None and manifest.status == LedgerStatus.FAILURE
    assert "resource mongodb failed to initialise" in (manifest.error_message or "")
    recorded = mongodb.get_run(run.run_id)
    assert recorded is not None and recorded.status == LedgerStatus.FAILURE


def test_a_late_outcome_of_an_older_run_does_not_overwrite_the_re_execution(
    ledger: Ledger, mongodb: MongoDBResource
) -> None:
    claim(mongodb, "retry_1")
    first = ledger.run("retry_1", fail=True)
    second = ledger.run("retry_1", fail=False)  # the re-execution, started after
    ledger.tick("manifest_run_success_sensor")
    ledger.tick("manifest_run_failure_sensor")  # the first run's failure arrives late
    manifest = mongodb.get_manifest("retry_1")
    assert manifest is not None
    assert (manifest.status, manifest.dagster_run_id) == (LedgerStatus.SUCCESS, second)
    older = mongodb.get_run(first)
    assert older is not None and older.status == LedgerStatus.FAILURE


def test_runs_of_other_jobs_and_runs_without_batch_are_ignored(
    ledger: Ledger, mongodb: MongoDBResource
) -> None:
    claim(mongodb, "other_1")
    run_id = ledger.run("other_1", fail=True, job=unrelated_job)
    ledger.tick_all()
    manifest = mongodb.get_manifest("other_1")
    assert manifest is not None
    assert manifest.status == LedgerStatus.RUNNING  # its init op ran, no sensor finished it
    run = mongodb.get_run(run_id)
    assert run is not None and run.status == LedgerStatus.RUNNING


def test_init_mongo_run_op_refuses_a_run_without_a_claimed_manifest(
    ledger: Ledger, mongodb: MongoDBResource
) -> None:
    run_id = ledger.run("never_claimed", fail=False)
    ledger.tick_all()
    failure = ledger.instance.get_run_by_id(run_id)
    assert failure is not None and failure.status == dg.DagsterRunStatus.FAILURE
    assert mongodb.get_manifest("never_claimed") is None
