"""The location's resources reach the Django API and Fireant over HTTP (the simulators):
login, paging, retries on 5xx, and errors that name the endpoint but never a secret."""

import dagster as dg
import pytest

from reports.resources import DjangoApiResource, FireantResource
from resilient_http import ApiError, ApiUnavailable


def test_django_resource_logs_in_and_lists_every_page(django_api: DjangoApiResource) -> None:
    with django_api.client() as api:
        assert api.ping() in (200, 401)
        catalogue = api.list_reports(page_size=4)
    assert catalogue.pages >= 4
    assert [r.id for r in catalogue.reports][:3] == [1, 2, 3]


def test_a_passing_outage_is_retried(django_api: DjangoApiResource, sims) -> None:
    sims.django.set_faults(fail_next=1)  # one 503, then the API answers
    with django_api.client() as api:
        assert api.get_report(2).name == "Port blast hourly"


def test_a_lasting_outage_names_the_endpoint(django_api: DjangoApiResource, sims) -> None:
    sims.django.set_faults(fail_next=5)
    with pytest.raises(ApiUnavailable, match="GET /api/reports/2/"), django_api.client() as api:
        api.get_report(2)


def test_wrong_credentials_are_refused_without_echoing_them(
    sims, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_JWT_TOKEN", "not-a-valid-token")
    resource = DjangoApiResource(
        base_url=sims.django_url, jwt_token=dg.EnvVar("DJANGO_JWT_TOKEN"), max_retries=0
    )
    with pytest.raises(ApiError) as caught, resource.client() as api:
        api.list_reports()
    assert "DJANGO_JWT_TOKEN" in str(caught.value) and "not-a-valid-token" not in str(caught.value)


def test_fireant_resource_submits_once_per_key(fireant_api: FireantResource, sims) -> None:
    payload = {
        "name": "r",
        "as_at_date": "2024-01-01",
        "fx_date": "2024-01-01",
        "geos": [{"event_id": 1}],
    }
    with fireant_api.client() as fireant:
        first = fireant.submit_job(payload, "geo", "9:2024-01-01T00:00:00+00:00")
        again = fireant.submit_job(payload, "geo", "9:2024-01-01T00:00:00+00:00")
        assert first == again
        assert fireant.wait_for_job(first, fireant_api.poll_policy()).status == "Finished"


def test_fireant_without_a_key_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    resource = FireantResource(base_url="https://fireant.example", api_key=None)
    with pytest.raises(Exception, match="FIREANT_API_KEY"):
        resource.client()
