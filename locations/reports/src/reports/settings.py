"""Every environment variable of the reports orchestrator, typed and validated at load.

Values come, in order of precedence, from the environment, from the location's YAML
component (``defs/reports/defs.yaml``), and from the defaults of ``APP_ENV`` (``dev`` polls
and schedules more often than ``prod``). A bad value raises ``SettingsError`` naming the
variable; secrets are ``SecretStr`` and never appear in errors, reprs or logs.
"""

import os
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from croniter import croniter
from pydantic import Field, SecretStr, field_validator, model_validator

from platform_config import PlatformSettings, SettingsError, load_settings


class SchedulingApproach(StrEnum):
    """How due reports are triggered (``SCHEDULING_APPROACH``)."""

    SENSOR = "sensor"
    SCHEDULE = "schedule"
    PIPELINE = "pipeline"


AppEnv = Literal["dev", "prod"]

# The spec's configuration examples: development evaluates every 30 minutes and discovers
# hourly; production evaluates hourly and discovers daily.
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        "discovery_sensor_interval_seconds": 3600,
        "schedule_cron_expression": "*/30 * * * *",
        "schedule_interval_seconds": 1800,
        "max_poll_attempts": 60,
        "log_level": "DEBUG",
    },
    "prod": {
        "discovery_sensor_interval_seconds": 86400,
        "schedule_cron_expression": "0 * * * *",
        "schedule_interval_seconds": 3600,
        "max_poll_attempts": 120,
        "log_level": "INFO",
    },
}

SECRET_FIELDS = ("django_jwt_token", "django_password", "fireant_api_key", "azure_client_secret")


class ReportsSettings(PlatformSettings):
    """The spec's variables; names are the upper-cased field names (``APP_ENV``, ...)."""

    app_env: AppEnv = "dev"
    scheduling_approach: SchedulingApproach = SchedulingApproach.SCHEDULE

    django_api_url: str = "http://localhost:8000"
    django_jwt_token: SecretStr | None = None
    django_username: str | None = None
    django_password: SecretStr | None = None

    fireant_api_url: str = "https://fireant-api.com"
    fireant_api_key: SecretStr | None = None

    azure_tenant_id: str | None = None
    azure_client_id: str | None = None
    azure_client_secret: SecretStr | None = None
    azure_account_name: str | None = None
    fabric_workspace_id: str | None = None
    fabric_lakehouse_id: str | None = None

    cron_sensor_interval_seconds: int = Field(default=60, ge=1)
    discovery_sensor_interval_seconds: int = Field(default=86400, ge=1)
    schedule_cron_expression: str = "0 * * * *"
    schedule_interval_seconds: int = Field(default=3600, ge=1)

    max_poll_attempts: int = Field(default=120, ge=1)
    poll_interval_seconds: float = Field(default=60, ge=0)
    max_retries: int = Field(default=3, ge=0)
    timeout_seconds: float = Field(default=30, gt=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="before")
    @classmethod
    def _profile_defaults(cls, data: Any) -> Any:
        """Fill what neither the environment nor the YAML set from ``APP_ENV``'s profile."""
        if not isinstance(data, dict):
            return data
        app_env = str(data.get("app_env") or "dev").strip().lower()
        return {**PROFILE_DEFAULTS.get(app_env, {}), **data}

    @field_validator("app_env", "scheduling_approach", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("schedule_cron_expression")
    @classmethod
    def _cron(cls, value: str) -> str:
        # `.env` files of the original carried trailing comments: `0 * * * *  # hourly`.
        expression = value.split("#", 1)[0].strip()
        if not croniter.is_valid(expression) or len(expression.split()) != 5:
            raise ValueError(
                f"{expression!r} is not a five-field cron expression (e.g. '0 * * * *')"
            )
        return expression

    @field_validator("django_api_url", "fireant_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    def missing_production_credentials(self) -> list[str]:
        """Variables the real services need that are unset (empty when all are there)."""
        missing = []
        if self.django_jwt_token is None and not (self.django_username and self.django_password):
            missing.append("DJANGO_JWT_TOKEN (or DJANGO_USERNAME and DJANGO_PASSWORD)")
        if self.fireant_api_key is None:
            missing.append("FIREANT_API_KEY")
        for name in (
            "azure_tenant_id",
            "azure_client_id",
            "azure_client_secret",
            "azure_account_name",
            "fabric_workspace_id",
        ):
            if getattr(self, name) is None:
                missing.append(name.upper())
        return missing

    def require_production_credentials(self) -> None:
        if missing := self.missing_production_credentials():
            raise SettingsError(
                f"ReportsSettings: the real Django, Fireant and Fabric services need "
                f"{', '.join(missing)}; set them in the environment (or run locally with "
                "DAGSTER_ENVIRONMENT unset)."
            )


def load_reports_settings(
    environ: Mapping[str, str] | None = None, yaml_values: Mapping[str, Any] | None = None
) -> ReportsSettings:
    """Settings from ``environ`` (the process environment by default) over ``yaml_values``.

    ``yaml_values`` holds the YAML component's non-null attributes by field name; an
    environment variable of the same name wins over them, unless it is empty.
    """
    env = dict(os.environ if environ is None else environ)
    merged: dict[str, str] = {
        name.upper(): str(value) for name, value in (yaml_values or {}).items() if value is not None
    }
    # An empty variable counts as unset: env files (deploy/.env.example) carry `NAME=` lines.
    merged.update({key.upper(): value for key, value in env.items() if value.strip()})
    return load_settings(ReportsSettings, merged)
