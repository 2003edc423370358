"""Discovery against the Django simulator: reports added, removed and rescheduled, each with
its message; malformed entries reported; an API outage keeps the last catalogue."""

import dagster as dg
import pytest
from pytest_httpserver import HTTPServer

from reports.catalogue_state import CatalogueState
from reports.resources import DjangoApiResource
from reports.sensors.discovery import DiscoveryFailed, build_discovery_sensor


def discover(
    instance: dg.DagsterInstance,
    state: CatalogueState,
    django_api: DjangoApiResource,
    alerts: list[str] | None = None,
) -> dg.SensorResult:
    sensor = build_discovery_sensor(
        state,
        60,
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
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reports.alerts import discovery_alerter

    httpserver.expect_request("/alerts", method="POST").respond_with_data("ok")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", httpserver.url_for("/alerts"))
    monkeypatch.delenv("DAGSTER_ENVIRONMENT", raising=False)
    discovery_alerter("#reports-alerts")("Report discovery failed: GET /api/reports/ (HTTP 503)")
    (request, _), *_ = httpserver.log
    body = request.get_json()
    assert body["kind"] == "reports_discovery" and body["location"] == "reports"
    assert body["title"].startswith("Report discovery failed")
