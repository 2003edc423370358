"""A real local HTTP sink for the alerts of every test here."""

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture
def sink_url(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The local sink's URL, set as ``ALERT_WEBHOOK_URL`` in the local environment."""
    url = httpserver.url_for("/alerts")
    monkeypatch.setenv("DAGSTER_ENVIRONMENT", "local")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
    httpserver.expect_request("/alerts", method="POST").respond_with_data("ok")
    return url
