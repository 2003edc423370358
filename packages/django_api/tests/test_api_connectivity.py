"""The Django API client against the simulator over HTTP: health, catalogue, data, jobs."""

import datetime as dt

import pytest

from django_api import DjangoAPIClient, JobRecordStatus
from report_simulators import DjangoSimulator
from resilient_http import ApiError, RetryEvent


def test_ping_answers_without_credentials(api: DjangoAPIClient) -> None:
    assert api.ping() == 401  # up, and asking for auth


def test_list_reports_reads_every_page(
    api: DjangoAPIClient, django_sim: tuple[DjangoSimulator, str]
) -> None:
    simulator, _ = django_sim
    catalogue = api.list_reports()
    entries = simulator.catalogue()
    assert catalogue.pages == -(-len(entries) // 4)  # page_size=4
    assert [r.id for r in catalogue.reports] == [
        e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), int)
    ]
    by_id = {r.id: r for r in catalogue.reports}
    assert by_id[1].cron == "*/5 * * * *" and by_id[1].active
    assert by_id[6].active is False
    assert by_id[7].cron == "not a cron"  # bad crons are the scheduler's to reject
    assert by_id[1].model_extra == {"currency": "GBP"}


def test_malformed_entries_are_rejected_alone_with_a_reason(api: DjangoAPIClient) -> None:
    catalogue = api.list_reports()
    reasons = [bad.reason for bad in catalogue.rejected]
    assert [bad.report_id for bad in catalogue.rejected] == [None, "fourteen", None]
    assert reasons[0].startswith("id: Field required")
    assert "valid integer" in reasons[1] and "fourteen" in reasons[1]
    assert "valid dictionary" in reasons[2]
    assert [bad.index for bad in catalogue.rejected] == [13, 14, 15]
    assert len(catalogue.reports) == 13


def test_page_size_one_still_lists_everything(api: DjangoAPIClient) -> None:
    assert len(api.list_reports(page_size=1).reports) == len(
        api.list_reports(page_size=100).reports
    )


def test_catalogue_changes_show_in_the_next_listing(
    api: DjangoAPIClient, django_sim: tuple[DjangoSimulator, str]
) -> None:
    simulator, _ = django_sim
    simulator.put_report({"id": 99, "name": "New", "cron": "15 * * * *", "event_group": 1})
    simulator.put_report({**simulator.find_report(2), "cron": "30 * * * *"})  # type: ignore[dict-item]
    simulator.remove_report(3)
    by_id = {r.id: r for r in api.list_reports().reports}
    assert by_id[99].cron == "15 * * * *" and by_id[2].cron == "30 * * * *" and 3 not in by_id


def test_get_report_and_missing_report(api: DjangoAPIClient) -> None:
    assert api.get_report(2).name == "Port blast hourly"
    with pytest.raises(ApiError) as err:
        api.get_report(4040)
    assert err.value.status == 404 and "GET /api/reports/4040/" in str(err.value)


def test_modifier_is_created_once_per_date_and_report_data_follows(api: DjangoAPIClient) -> None:
    day = dt.date(2026, 3, 1)
    first = api.get_or_create_modifier_for_date(2, day)
    again = api.get_or_create_modifier_for_date(2, day)
    other_day = api.get_or_create_modifier_for_date(2, dt.date(2026, 3, 2))
    assert first == again and other_day.id != first.id
    assert first.fx_date == first.as_at_date == day
    data = api.get_report_data(2, first.id)
    assert data.report["id"] == 2 and data.modifier == first
    assert [e.event_type for e in data.eventgroup.events] == ["ring", "ring"]
    assert data.raw["data"]["eventgroup"]["events"][0]["radius"] == 1000
    assert data.meta is not None and "generated_at" in data.meta


def test_report_data_of_an_unlinked_modifier_is_a_404(api: DjangoAPIClient) -> None:
    modifier = api.get_or_create_modifier_for_date(1, dt.date(2026, 3, 1))
    with pytest.raises(ApiError) as err:
        api.get_report_data(2, modifier.id)
    assert err.value.status == 404


def test_job_records_are_created_once_and_updated(
    api: DjangoAPIClient, django_sim: tuple[DjangoSimulator, str]
) -> None:
    simulator, _ = django_sim
    job = api.get_or_create_job(report_id=1, fireant_jobid="geo_job_1", report_modifier_id=None)
    assert api.get_or_create_job(report_id=1, fireant_jobid="geo_job_1") == job
    assert job.status is JobRecordStatus.SUBMITTED
    updated = api.update_job(job.id, status=JobRecordStatus.RUNNING)
    assert updated.status is JobRecordStatus.RUNNING and updated.results_url is None
    done = api.update_job(job.id, status=JobRecordStatus.COMPLETED, results_url="/lake/t")
    assert (done.status, done.results_url) == (JobRecordStatus.COMPLETED, "/lake/t")
    assert api.find_jobs(fireant_jobid="geo_job_1") == [done]
    assert len(simulator.jobs) == 1
    api.delete_job(job.id)
    assert api.find_jobs(report_id=1) == []


def test_5xx_during_listing_is_retried(
    api: DjangoAPIClient, django_sim: tuple[DjangoSimulator, str], retries: list[RetryEvent]
) -> None:
    simulator, _ = django_sim
    api.list_reports()  # logged in
    simulator.options.faults.update({"fail_next": 2})
    assert len(api.list_reports().reports) == 13
    assert [e.reason.split(":")[0] for e in retries] == ["HTTP 503", "HTTP 503"]


def test_garbage_answer_raises_naming_the_endpoint(api: DjangoAPIClient) -> None:
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        server.expect_request("/api/reports/").respond_with_data("<html>oops</html>")
        with (
            DjangoAPIClient(server.url_for(""), token="t") as client,
            pytest.raises(ApiError) as err,
        ):
            client.list_reports()
        assert "GET /api/reports/" in str(err.value) and "not JSON" in str(err.value)
        server.clear()
        server.expect_request("/api/reports/").respond_with_json({"reports": "nope"})
        with (
            DjangoAPIClient(server.url_for(""), token="t") as client,
            pytest.raises(ApiError) as err,
        ):
            client.list_reports()
        assert "expected {data: [...]}" in str(err.value)
    finally:
        server.stop()


def test_report_model_names_unnamed_reports_and_wants_integer_ids() -> None:
    from pydantic import ValidationError

    from django_api import Report

    assert Report.model_validate({"id": 3, "name": " "}).name == "Report 3"
    for bad_id in ("3", True, 3.5):
        with pytest.raises(ValidationError):
            Report.model_validate({"id": bad_id, "name": "x"})
