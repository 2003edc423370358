"""JWT: login, static token, refresh on 401, re-login, and errors that never show a token."""

import pytest

from django_api import DjangoAPIClient, DjangoAuthError
from report_simulators import DEFAULT_PASSWORD, DEFAULT_USERNAME, DjangoSimulator
from resilient_http import RetryPolicy

FAST = RetryPolicy(timeout_seconds=2, max_retries=1, backoff_initial_seconds=0.01)


def test_login_obtains_a_token_once(django_sim: tuple[DjangoSimulator, str]) -> None:
    simulator, url = django_sim
    with DjangoAPIClient(
        url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, policy=FAST
    ) as api:
        api.list_reports()
        api.get_report(1)
    assert simulator.stats["logins"] == 1


def test_static_token_is_used_as_is(django_sim: tuple[DjangoSimulator, str]) -> None:
    simulator, url = django_sim
    with DjangoAPIClient(url, token=simulator.issue_token(), policy=FAST) as api:
        assert api.get_report(1).id == 1
        api.ping_authenticated()
    assert simulator.stats["logins"] == 0


def test_expired_access_token_is_refreshed_and_the_call_retried(
    django_sim: tuple[DjangoSimulator, str],
) -> None:
    simulator, url = django_sim
    with DjangoAPIClient(
        url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, policy=FAST
    ) as api:
        api.get_report(1)
        simulator.revoke_access_tokens()
        assert api.get_report(2).id == 2
        assert (simulator.stats["logins"], simulator.stats["refreshes"]) == (1, 1)
        simulator.revoke_access_tokens()
        assert len(api.list_reports().reports) == 13
    assert (simulator.stats["logins"], simulator.stats["refreshes"]) == (1, 2)


def test_refused_refresh_token_falls_back_to_login(django_sim: tuple[DjangoSimulator, str]) -> None:
    simulator, url = django_sim
    with DjangoAPIClient(
        url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, policy=FAST
    ) as api:
        api.get_report(1)
        simulator.rotate_signing_key()
        assert api.get_report(1).id == 1
    assert simulator.stats["logins"] == 2


def test_rejected_static_token_raises_auth_error_without_the_token(
    django_sim: tuple[DjangoSimulator, str],
) -> None:
    simulator, url = django_sim
    token = simulator.issue_token()
    simulator.revoke_access_tokens()
    with (
        DjangoAPIClient(url, token=token, policy=FAST) as api,
        pytest.raises(DjangoAuthError) as err,
    ):
        api.list_reports()
    message = str(err.value)
    assert err.value.status == 401 and "GET /api/reports/" in message
    assert "DJANGO_JWT_TOKEN" in message and token not in message


def test_wrong_password_raises_auth_error(django_sim: tuple[DjangoSimulator, str]) -> None:
    _, url = django_sim
    client = DjangoAPIClient(url, username=DEFAULT_USERNAME, password="wrong", policy=FAST)
    with client as api, pytest.raises(DjangoAuthError) as err:
        api.get_report(1)
    assert "wrong" not in str(err.value)


def test_login_5xx_is_retried(django_sim: tuple[DjangoSimulator, str]) -> None:
    simulator, url = django_sim
    simulator.options.faults.update({"fail_next": 1})
    with DjangoAPIClient(
        url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, policy=FAST
    ) as api:
        assert api.get_report(1).id == 1


def test_no_credentials_at_all_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="DJANGO_JWT_TOKEN"):
        DjangoAPIClient("http://127.0.0.1:1")
