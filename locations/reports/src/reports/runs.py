"""What a report run carries: its report (the partition) and its due time (a tag)."""

import datetime as dt

import dagster as dg

from reports.scheduling.due import DueRun, run_key

REPORT_ID_TAG = "reports/report_id"
DUE_AT_TAG = "reports/due_at"
RUN_KEY_TAG = "dagster/run_key"
PARTITIONS_NAME = "reports"

report_partitions = dg.DynamicPartitionsDefinition(name=PARTITIONS_NAME)


def run_request(due: DueRun, job_name: str | None = None) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=due.run_key,
        partition_key=due.partition_key,
        job_name=job_name,
        tags={REPORT_ID_TAG: str(due.report_id), DUE_AT_TAG: due.due_at.isoformat()},
    )


def run_due_time(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dt.datetime:
    """The due time a run works for.

    Scheduled runs carry it as a tag; a re-execution that did not copy its parent's tags
    takes it from its root run. A run launched by hand is due when its root run was
    created, to the second, so every step and every re-execution of it agree on one time.
    """
    root = run
    if DUE_AT_TAG not in run.tags and run.root_run_id:
        root = instance.get_run_by_id(run.root_run_id) or run
    if stamp := root.tags.get(DUE_AT_TAG):
        return dt.datetime.fromisoformat(stamp).astimezone(dt.UTC)
    record = instance.get_run_record_by_id(root.run_id)
    created = record.create_timestamp if record else dt.datetime.now(dt.UTC)
    return created.astimezone(dt.UTC).replace(microsecond=0)


def idempotency_key(report_id: int, due_at: dt.datetime) -> str:
    """The key of one report's work for one due time: its run key, whoever launched it."""
    return run_key(report_id, due_at)
