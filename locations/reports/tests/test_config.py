"""Configuration: every variable of the spec, typed, validated at load, errors naming it."""

import pytest

from platform_config import SettingsError
from reports.settings import SchedulingApproach, load_reports_settings


def test_defaults_follow_app_env_profiles() -> None:
    dev = load_reports_settings({})
    assert dev.app_env == "dev"
    assert dev.schedule_cron_expression == "*/30 * * * *"
    assert dev.schedule_interval_seconds == 1800
    assert dev.discovery_sensor_interval_seconds == 3600
    prod = load_reports_settings({"APP_ENV": "prod"})
    assert prod.schedule_cron_expression == "0 * * * *"
    assert prod.schedule_interval_seconds == 3600
    assert prod.discovery_sensor_interval_seconds == 86400
    assert prod.cron_sensor_interval_seconds == 60
    assert (prod.max_poll_attempts, prod.poll_interval_seconds) == (120, 60)
    assert (prod.max_retries, prod.timeout_seconds) == (3, 30)


def test_reads_every_variable_of_the_spec() -> None:
    settings = load_reports_settings(
        {
            "APP_ENV": "PROD",
            "SCHEDULING_APPROACH": "Pipeline",
            "DJANGO_API_URL": "http://django:8000/",
            "DJANGO_JWT_TOKEN": "jwt-secret",
            "FIREANT_API_URL": "https://fireant",
            "FIREANT_API_KEY": "fa-secret",
            "AZURE_TENANT_ID": "t",
            "AZURE_CLIENT_ID": "c",
            "AZURE_CLIENT_SECRET": "az-secret",
            "AZURE_ACCOUNT_NAME": "onelake",
            "FABRIC_WORKSPACE_ID": "ws",
            "CRON_SENSOR_INTERVAL_SECONDS": "30",
            "DISCOVERY_SENSOR_INTERVAL_SECONDS": "600",
            "SCHEDULE_CRON_EXPRESSION": "*/15 * * * *  # every quarter",
            "SCHEDULE_INTERVAL_SECONDS": "900",
            "MAX_POLL_ATTEMPTS": "5",
            "POLL_INTERVAL_SECONDS": "0.5",
            "MAX_RETRIES": "1",
            "TIMEOUT_SECONDS": "3",
        }
    )
    assert settings.scheduling_approach is SchedulingApproach.PIPELINE
    assert settings.django_api_url == "http://django:8000"
    assert settings.schedule_cron_expression == "*/15 * * * *"
    assert (settings.cron_sensor_interval_seconds, settings.schedule_interval_seconds) == (30, 900)
    assert settings.missing_production_credentials() == []
    for secret in ("jwt-secret", "fa-secret", "az-secret"):
        assert secret not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("APP_ENV", "staging"),
        ("SCHEDULING_APPROACH", "cron"),
        ("CRON_SENSOR_INTERVAL_SECONDS", "0"),
        ("SCHEDULE_INTERVAL_SECONDS", "hourly"),
        ("SCHEDULE_CRON_EXPRESSION", "every hour"),
        ("MAX_POLL_ATTEMPTS", "-1"),
        ("DJANGO_API_URL", "django:8000"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_reports_settings({variable: value})
    assert f"{variable} is invalid" in str(caught.value)


def test_yaml_values_apply_unless_the_environment_sets_them() -> None:
    yaml = {"scheduling_approach": "sensor", "cron_sensor_interval_seconds": 15}
    assert load_reports_settings({}, yaml).scheduling_approach is SchedulingApproach.SENSOR
    assert load_reports_settings({}, yaml).cron_sensor_interval_seconds == 15
    overridden = load_reports_settings({"SCHEDULING_APPROACH": "schedule"}, yaml)
    assert overridden.scheduling_approach is SchedulingApproach.SCHEDULE


def test_the_real_services_name_each_missing_credential() -> None:
    settings = load_reports_settings({"FIREANT_API_KEY": "k", "AZURE_TENANT_ID": "t"})
    with pytest.raises(SettingsError) as caught:
        settings.require_production_credentials()
    message = str(caught.value)
    assert "DJANGO_JWT_TOKEN" in message
    assert "AZURE_CLIENT_SECRET" in message
    assert "FABRIC_WORKSPACE_ID" in message
    assert "FIREANT_API_KEY" not in message


def test_log_level_filters_the_json_lines() -> None:
    import logging

    from reports.logs import log_json, set_log_level

    logger = logging.getLogger("reports-test")
    try:
        set_log_level("WARNING")
        assert log_json(logger, "info", "report_due", "hidden", report_id=1) == ""
        line = log_json(logger, "error", "invalid_cron", "shown", report_id=1, due_at=None)
        assert line == '{"event": "invalid_cron", "message": "shown", "report_id": 1}'
    finally:
        set_log_level("DEBUG")


def test_an_empty_variable_counts_as_unset() -> None:
    settings = load_reports_settings(
        {"FIREANT_API_KEY": "", "CRON_SENSOR_INTERVAL_SECONDS": " "},
        {"cron_sensor_interval_seconds": 15},
    )
    assert settings.fireant_api_key is None
    assert settings.cron_sensor_interval_seconds == 15
    assert "FIREANT_API_KEY" in " ".join(settings.missing_production_credentials())
