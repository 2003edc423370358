"""A real local HTTP sink for the alerts of every test here."""

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture
def sink_url(alert_sink: HTTPServer) -> str:
    """The local sink's URL, set as ``ALERT_WEBHOOK_URL`` in the local environment."""
    return alert_sink.url_for("/alerts")
