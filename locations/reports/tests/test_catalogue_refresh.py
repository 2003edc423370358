"""Discovery against the Django simulator: reports added, removed and rescheduled, each with
its message; malformed entries reported; an API outage keeps the last catalogue."""

import datetime as dt
from typing import Any

import dagster as dg
import pytest
from pytest_httpserver import HTTPServer

from report_simulators import sample_catalogue
from reports.catalogue_state import CatalogueState
from reports.resources import DjangoApiResource
from reports.sensors.discovery import DiscoveryFailed, build_discovery_sensor
from reports.testing import ManualClock


def well_formed(entries: list[Any]) -> list[Any]:
    """The sample catalogue without its malformed entries (no id, a text id, not an object)."""
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("id"), int)]


def discover(
    instance: dg.DagsterInstance,
    state: CatalogueState,
    django_api: DjangoApiResource,
    alerts: list[str] | None = None,
) -> dg.SensorResult:
    sensor = build_discovery_sensor(
        state,
        0,  # the stored catalogue is always stale: every call lists the API
        dg.DefaultSensorStatus.RUNNING,
        alert=alerts.append if alerts is not None else None,
    )
    context = dg.build_sensor_context(instance=instance, resources={"django_api": django_api})
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
    return result


def test_first_discovery_stores_the_catalogue_and_reports_bad_entries(
    instance: dg.DagsterInstance, state: CatalogueState, django_api: DjangoApiResource
) -> None:
    alerts: list[str] = []
    result = discover(instance, state, django_api, alerts)
    catalogue = state.read()
    assert catalogue is not None
    ids = [entry.report_id for entry in catalogue.reports]
    assert ids == [1, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13]  # active, with a cron
    assert {e.report_id for e in catalogue.reports if e.cron_error} == {7, 8}
    assert len(catalogue.rejected) == 3  # no id, a text id, not an object
    assert sorted(instance.get_dynamic_partitions("reports"), key=int) == [str(i) for i in ids]
    assert result.skip_reason and "11 added" in str(result.skip_reason.skip_message)
    (alert,) = alerts
    assert "Report 8 (Bad cron (minute 61)) will not be scheduled" in alert
    assert "Catalogue entry #13" in alert


def test_changes_are_detected_and_say_what_changed(
    instance: dg.DagsterInstance,
    state: CatalogueState,
    django_api: DjangoApiResource,
    sims,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sims.django.replace_catalogue(well_formed(sample_catalogue()))  # a complete listing
    discover(instance, state, django_api)
    sims.django.put_report(20, name="New weekly", cron="0 7 * * 1", active=True, event_group=1)
    sims.django.remove_report(4)
    sims.django.put_report(
        2, name="Port blast hourly", cron="30 * * * *", active=True, event_group=2
    )
    capfd.readouterr()
    result = discover(instance, state, django_api)
    text = capfd.readouterr().err
    assert "Report added: report 20 (New weekly) with cron '0 7 * * 1'" in text
    assert "Report removed: report 4 (Monthly windstorm close) (cron was '30 2 1 * *')" in text
    assert "Cron changed: report 2 (Port blast hourly) '0 * * * *' -> '30 * * * *'" in text
    catalogue = state.read()
    assert catalogue is not None
    assert (
        catalogue.by_id[2].cron == "30 * * * *"
        and 4 not in catalogue.by_id
        and 20 in catalogue.by_id
    )
    partitions = set(instance.get_dynamic_partitions("reports"))
    assert "20" in partitions and "4" not in partitions
    assert result.skip_reason and "1 added, 1 removed, 1 cron changed" in str(
        result.skip_reason.skip_message
    )
    again = discover(instance, state, django_api)
    assert again.skip_reason and "No changes" in str(again.skip_reason.skip_message)


def test_an_api_outage_keeps_the_last_catalogue_and_alerts(
    instance: dg.DagsterInstance, state: CatalogueState, django_api: DjangoApiResource, sims
) -> None:
    discover(instance, state, django_api)
    before = state.read()
    sims.django.set_faults(fail_next=10)  # every attempt answers 503
    alerts: list[str] = []
    with pytest.raises(DiscoveryFailed) as caught:
        discover(instance, state, django_api, alerts)
    assert "last known catalogue (11 reports) stays in use" in str(caught.value)
    assert "DJANGO_API_URL" in str(caught.value)
    assert alerts and "Report discovery failed" in alerts[0]
    assert state.read() == before
    sims.django.set_faults(fail_next=0)
    discover(instance, state, django_api)  # the next tick recovers by itself


def test_a_garbage_answer_is_refused_and_changes_nothing(
    instance: dg.DagsterInstance,
    state: CatalogueState,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    httpserver.expect_request("/api/reports/").respond_with_data("<html>maintenance</html>")
    monkeypatch.setenv("DJANGO_JWT_TOKEN", "t")
    api = DjangoApiResource(
        base_url=httpserver.url_for("/").rstrip("/"),
        jwt_token=dg.EnvVar("DJANGO_JWT_TOKEN"),
        max_retries=0,
    )
    with pytest.raises(DiscoveryFailed, match="no catalogue yet"):
        discover(instance, state, api)
    assert state.read() is None


def test_discovery_alerts_go_through_the_platform_sink(
    alert_sink: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports.alerts import discovery_alerter

    monkeypatch.delenv("DAGSTER_ENVIRONMENT", raising=False)  # the default environment
    discovery_alerter("#reports-alerts")("Report discovery failed: GET /api/reports/ (HTTP 503)")
    (request, _), *_ = alert_sink.log
    body = request.get_json()
    assert body["kind"] == "reports_discovery" and body["location"] == "reports"
    assert body["title"].startswith("Report discovery failed")


def test_a_listing_with_a_malformed_entry_removes_nothing_and_says_what_it_kept(
    instance: dg.DagsterInstance,
    state: CatalogueState,
    django_api: DjangoApiResource,
    sims,
    capfd: pytest.CaptureFixture[str],
) -> None:
    discover(instance, state, django_api)  # the sample catalogue holds malformed entries
    sims.django.remove_report(4)
    sims.django.put_report(20, name="New weekly", cron="0 7 * * 1", active=True, event_group=1)
    capfd.readouterr()
    discover(instance, state, django_api)
    text = capfd.readouterr().err
    catalogue = state.read()
    assert catalogue is not None and 4 in catalogue.by_id and 20 in catalogue.by_id
    assert {"4", "20"} <= set(instance.get_dynamic_partitions("reports"))
    assert "Report removed" not in text
    assert "3 malformed entries" in text
    assert "1 reports absent from it are kept as last discovered: report 4" in text
    sims.django.replace_catalogue(well_formed(sims.django.catalogue()))  # fixed in Django
    discover(instance, state, django_api)
    catalogue = state.read()
    assert catalogue is not None and 4 not in catalogue.by_id
    assert "4" not in instance.get_dynamic_partitions("reports")


def test_a_truncated_listing_removes_nothing(
    instance: dg.DagsterInstance,
    state: CatalogueState,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DJANGO_JWT_TOKEN", "t")
    api = DjangoApiResource(
        base_url=httpserver.url_for("/").rstrip("/"),
        jwt_token=dg.EnvVar("DJANGO_JWT_TOKEN"),
        max_retries=0,
    )
    reports = [{"id": i, "name": f"r{i}", "cron": "0 * * * *"} for i in (1, 2, 3)]
    httpserver.expect_oneshot_request("/api/reports/").respond_with_json(
        {"data": reports, "next": None, "count": 3}
    )
    discover(instance, state, api)
    httpserver.expect_oneshot_request("/api/reports/").respond_with_json(
        {"data": reports[:1], "next": None, "count": 3}  # a short page
    )
    discover(instance, state, api)
    catalogue = state.read()
    assert catalogue is not None and sorted(catalogue.by_id) == [1, 2, 3]
    assert catalogue.incomplete and "announced 3" in catalogue.incomplete
    assert sorted(instance.get_dynamic_partitions("reports")) == ["1", "2", "3"]


def test_crons_that_cannot_produce_a_due_time_are_rejected_and_alerted_once(
    instance: dg.DagsterInstance, state: CatalogueState, django_api: DjangoApiResource, sims
) -> None:
    entries = well_formed(sample_catalogue())
    bad = {31: "0 0 31 2 *", 32: "", 33: "@fortnightly", 34: "0 0 32 * *"}
    entries += [{"id": i, "name": f"bad {i}", "cron": c, "event_group": 1} for i, c in bad.items()]
    sims.django.replace_catalogue(entries)
    alerts: list[str] = []
    discover(instance, state, django_api, alerts)
    catalogue = state.read()
    assert catalogue is not None
    assert all(catalogue.by_id[i].cron_error for i in bad)
    (alert,) = alerts
    assert "Report 31 (bad 31) will not be scheduled: its cron '0 0 31 2 *'" in alert
    assert "never fires" in alert and "fix the cron in the Django admin" in alert
    assert "Report 32 (bad 32) will not be scheduled: its cron ''" in alert
    assert "'@fortnightly' is not a known alias" in alert
    sims.django.put_report(20, name="New weekly", cron="0 7 * * 1", active=True, event_group=1)
    discover(instance, state, django_api, alerts)  # another change: no repeated alert
    assert len(alerts) == 1
    sims.django.put_report(35, name="bad 35", cron="0 0 30 2 *", active=True, event_group=1)
    discover(instance, state, django_api, alerts)
    assert len(alerts) == 2 and "Report 35" in alerts[1] and "Report 31" not in alerts[1]


def test_discovery_runs_at_once_without_a_catalogue_then_once_per_interval(
    instance: dg.DagsterInstance, state: CatalogueState, django_api: DjangoApiResource, sims
) -> None:
    clock = ManualClock(dt.datetime.now(dt.UTC))
    sensor = build_discovery_sensor(state, 86_400, dg.DefaultSensorStatus.RUNNING, clock=clock)
    assert sensor.minimum_interval_seconds is not None
    assert sensor.minimum_interval_seconds <= 60  # a deploy never waits a day

    def tick() -> dg.SensorResult:
        context = dg.build_sensor_context(instance=instance, resources={"django_api": django_api})
        result = sensor(context)
        assert isinstance(result, dg.SensorResult)
        return result

    assert state.read() is None
    tick()  # empty state: discovery at once
    first = state.read()
    assert first is not None and len(first.reports) == 11
    sims.django.put_report(20, name="New weekly", cron="0 7 * * 1", active=True, event_group=1)
    clock.now += dt.timedelta(hours=1)
    skipped = tick()
    assert skipped.skip_reason and "is fresh" in str(skipped.skip_reason.skip_message)
    assert state.read() == first
    clock.now += dt.timedelta(days=1)
    tick()  # stale: listed again
    again = state.read()
    assert again is not None and 20 in again.by_id
