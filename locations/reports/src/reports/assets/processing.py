"""``report_data`` -> ``external_job_submission`` -> ``local_job_record`` ->
``job_completion_status`` -> ``results_storage``: one report, one due time.

Each asset is partitioned by report, so every report has its own history; the due time
comes from the run (``reports.runs.run_due_time``). The Fireant submission carries the key
``<report id>:<due time>`` and is recorded (Dagster metadata, then the Django job record)
before any polling: a retried step or a re-executed run finds it and resumes that job
instead of submitting a second one. Results replace the rows of their (report, due time).
"""

from typing import Any

import dagster as dg

from platform_alerting import preview
from reports.logs import log_json
from reports.resources import DjangoApiResource, FabricStorageResource, FireantResource
from reports.runs import idempotency_key, report_partitions, run_due_time
from reports.transform import ReportDataError, transform_report_schema

GROUP = "reports"
# Transient outages (the clients' own retries exhausted) get two more step attempts.
TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL)


def _identity(context: dg.AssetExecutionContext) -> tuple[int, Any]:
    return int(context.partition_key), run_due_time(context.instance, context.run)


def _fail(context: dg.AssetExecutionContext, event: str, message: str, **fields: Any) -> dg.Failure:
    report_id, due_at = _identity(context)
    log_json(context.log, "error", event, message, report_id=report_id, due_at=due_at, **fields)
    return dg.Failure(description=message, allow_retries=False)


@dg.asset(
    partitions_def=report_partitions,
    group_name=GROUP,
    kinds={"django"},
    retry_policy=TRANSIENT_RETRY,
)
def report_data(context: dg.AssetExecutionContext, django_api: DjangoApiResource) -> dict[str, Any]:
    """The report's data for its due date, transformed into a Fireant payload."""
    from resilient_http import ApiError, ApiUnavailable

    report_id, due_at = _identity(context)
    try:
        with django_api.client() as api:
            modifier = api.get_or_create_modifier_for_date(report_id, due_at.date())
            data = api.get_report_data(report_id, modifier.id)
    except ApiUnavailable:
        raise
    except ApiError as exc:
        raise _fail(context, "report_data_failed", f"Report {report_id}: {exc}") from None
    try:
        payload, event_type = transform_report_schema(data.raw)
    except ReportDataError as exc:
        raise _fail(
            context, "report_data_invalid", f"Report {report_id} cannot be sent: {exc}"
        ) from None
    name = str(data.report.get("name", f"Report {report_id}"))
    log_json(
        context.log,
        "info",
        "report_data",
        f"Report {report_id} ({name}) data ready: {event_type} job",
        report_id=report_id,
        due_at=due_at,
        modifier_id=modifier.id,
        event_type=event_type,
    )
    context.add_output_metadata(
        {
            "report_name": name,
            "event_type": event_type,
            "modifier_id": modifier.id,
            "due_at": due_at.isoformat(),
        }
    )
    return {
        "report_name": name,
        "event_type": event_type,
        "modifier_id": modifier.id,
        "payload": payload,
    }


def recorded_fireant_job(instance: dg.DagsterInstance, report_id: int, key: str) -> str | None:
    """The Fireant job an earlier attempt of this (report, due time) recorded, if any."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=external_job_submission.key, asset_partitions=[str(report_id)]
        ),
        limit=50,
    ).records
    for record in records:
        materialization = record.asset_materialization
        metadata = materialization.metadata if materialization else {}
        recorded_key = metadata.get("idempotency_key")
        if recorded_key is not None and recorded_key.value == key:
            job = metadata.get("fireant_job_id")
            return str(job.value) if job is not None else None
    return None


@dg.asset(
    partitions_def=report_partitions,
    group_name=GROUP,
    kinds={"fireant"},
    retry_policy=TRANSIENT_RETRY,
)
def external_job_submission(
    context: dg.AssetExecutionContext, report_data: dict[str, Any], fireant_api: FireantResource
) -> dict[str, Any]:
    """The Fireant job of this report and due time: submitted once, resumed after that."""
    report_id, due_at = _identity(context)
    key = idempotency_key(report_id, due_at)
    job_id = recorded_fireant_job(context.instance, report_id, key)
    resumed = job_id is not None
    if job_id is None:
        with fireant_api.client() as fireant:
            job_id = fireant.submit_job(report_data["payload"], report_data["event_type"], key)
    log_json(
        context.log,
        "info",
        "fireant_job_resumed" if resumed else "fireant_job_submitted",
        f"{'Resuming' if resumed else 'Submitted'} Fireant {report_data['event_type']} job {job_id} "
        f"for report {report_id}",
        report_id=report_id,
        due_at=due_at,
        fireant_job_id=job_id,
        idempotency_key=key,
    )
    context.add_output_metadata(
        {
            "fireant_job_id": job_id,
            "idempotency_key": key,
            "event_type": report_data["event_type"],
            "resumed": resumed,
        }
    )
    return {
        "fireant_job_id": job_id,
        "modifier_id": report_data["modifier_id"],
        "event_type": report_data["event_type"],
    }


@dg.asset(
    partitions_def=report_partitions,
    group_name=GROUP,
    kinds={"django"},
    retry_policy=TRANSIENT_RETRY,
)
def local_job_record(
    context: dg.AssetExecutionContext,
    external_job_submission: dict[str, Any],
    django_api: DjangoApiResource,
) -> dict[str, Any]:
    """The Django job record of the Fireant job (found, or created once)."""
    report_id, due_at = _identity(context)
    job_id = external_job_submission["fireant_job_id"]
    with django_api.client() as api:
        record = api.get_or_create_job(
            report_id=report_id,
            fireant_jobid=job_id,
            report_modifier_id=external_job_submission["modifier_id"],
        )
    log_json(
        context.log,
        "info",
        "job_recorded",
        f"Job record {record.id} tracks Fireant job {job_id}",
        report_id=report_id,
        due_at=due_at,
        fireant_job_id=job_id,
        local_job_id=record.id,
    )
    context.add_output_metadata({"local_job_id": record.id, "fireant_job_id": job_id})
    return {"local_job_id": record.id, "fireant_job_id": job_id}


@dg.asset(
    partitions_def=report_partitions,
    group_name=GROUP,
    kinds={"fireant"},
    retry_policy=TRANSIENT_RETRY,
)
def job_completion_status(
    context: dg.AssetExecutionContext,
    local_job_record: dict[str, Any],
    fireant_api: FireantResource,
    django_api: DjangoApiResource,
) -> dict[str, Any]:
    """Poll Fireant (``MAX_POLL_ATTEMPTS`` x ``POLL_INTERVAL_SECONDS``) until the job ends."""
    from django_api import JobRecordStatus
    from fireant import FireantJobFailed, FireantJobStatus, JobStatusReport, PollAttemptsExhausted

    report_id, due_at = _identity(context)
    job_id = local_job_record["fireant_job_id"]
    record_id = local_job_record["local_job_id"]
    mirror = {
        FireantJobStatus.RUNNING: JobRecordStatus.RUNNING,
        FireantJobStatus.FAILED: JobRecordStatus.FAILED,
        FireantJobStatus.FINISHED: JobRecordStatus.COMPLETED,
        FireantJobStatus.UNKNOWN: JobRecordStatus.UNKNOWN,
    }
    with django_api.client() as api, fireant_api.client() as fireant:
        last: list[FireantJobStatus] = []

        def on_poll(attempt: int, report: JobStatusReport) -> None:
            log_json(
                context.log,
                "debug",
                "fireant_poll",
                f"Fireant job {job_id}: {report.raw_status or report.status} (attempt {attempt})",
                report_id=report_id,
                due_at=due_at,
                fireant_job_id=job_id,
                attempt=attempt,
            )
            if not last or last[-1] is not report.status:
                last.append(report.status)
                if report.status is not FireantJobStatus.FINISHED:
                    api.update_job(record_id, status=mirror[report.status])

        try:
            final = fireant.wait_for_job(job_id, fireant_api.poll_policy(), on_poll=on_poll)
        except FireantJobFailed as exc:
            api.update_job(record_id, status=JobRecordStatus.FAILED)
            raise _fail(context, "fireant_job_failed", str(exc), fireant_job_id=job_id) from None
        except PollAttemptsExhausted as exc:
            api.update_job(record_id, status=JobRecordStatus.TIMEOUT)
            raise _fail(context, "fireant_job_timeout", str(exc), fireant_job_id=job_id) from None
    log_json(
        context.log,
        "info",
        "fireant_job_finished",
        f"Fireant job {job_id} finished",
        report_id=report_id,
        due_at=due_at,
        fireant_job_id=job_id,
    )
    context.add_output_metadata({"fireant_job_id": job_id, "final_status": str(final.status)})
    return {"fireant_job_id": job_id, "local_job_id": record_id, "final_status": "completed"}


@dg.asset(
    partitions_def=report_partitions,
    group_name=GROUP,
    kinds={"deltalake", "azure"},
    retry_policy=TRANSIENT_RETRY,
)
def results_storage(
    context: dg.AssetExecutionContext,
    job_completion_status: dict[str, Any],
    fireant_api: FireantResource,
    django_api: DjangoApiResource,
    fabric_storage: FabricStorageResource,
) -> dict[str, Any]:
    """Fireant's result rows in the Fabric table, replacing those of this report and due time."""
    from django_api import JobRecordStatus
    from fabric_store import FabricWriteError
    from fabric_store.store import RESULTS_SCHEMA

    report_id, due_at = _identity(context)
    job_id = job_completion_status["fireant_job_id"]
    with fireant_api.client() as fireant:
        rows = fireant.download_results(job_id).rows
    store = fabric_storage.store()
    try:
        written = store.write_report_results(
            report_id=report_id,
            due_time=due_at,
            fireant_job_id=job_id,
            run_id=context.run.run_id,
            rows=rows,
        )
    except (FabricWriteError, OSError) as exc:
        raise _fail(
            context,
            "fabric_write_failed",
            f"Results of report {report_id} at {due_at.isoformat()} were not stored: {exc}",
            fireant_job_id=job_id,
        ) from None
    location = f"{written.table_uri}#report_id={report_id}&due_time={due_at.isoformat()}"
    columns = list(rows[0]) if rows else []
    with django_api.client() as api:
        api.update_job(
            job_completion_status["local_job_id"],
            status=JobRecordStatus.COMPLETED,
            results_url=location,
        )
    log_json(
        context.log,
        "info",
        "results_stored",
        f"Stored {written.rows_written} result rows of report {report_id} (Delta version {written.version})",
        report_id=report_id,
        due_at=due_at,
        fireant_job_id=job_id,
        rows=written.rows_written,
    )
    context.add_output_metadata(
        {
            "rows": written.rows_written,
            "fireant_rows": len(rows),
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(f.name, str(f.type)) for f in RESULTS_SCHEMA]
            ),
            "preview": preview(columns, ([row.get(c) for c in columns] for row in rows)),
            "table_uri": written.table_uri,
            "delta_version": written.version,
            "fireant_job_id": job_id,
            "due_at": due_at.isoformat(),
        }
    )
    return {
        "rows": written.rows_written,
        "table_uri": written.table_uri,
        "delta_version": written.version,
    }


PROCESSING_ASSETS = [
    report_data,
    external_job_submission,
    local_job_record,
    job_completion_status,
    results_storage,
]
