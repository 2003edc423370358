"""Shared configuration base for every code location.

One switch, ``DAGSTER_ENVIRONMENT``, picks which implementation each resource uses; typed
settings classes read the rest of the environment and fail with a message that names the
variable to fix. ``credentials`` finds secrets in config (recursively, by key pattern);
``env_secret`` (imports Dagster) is the resource config type that takes a secret only as an
environment variable's name.
"""

from platform_config.credentials import (
    ENVIRONMENT_REMEDY,
    credential_paths,
    credentials_message,
    reject_credentials,
)
from platform_config.environment import ENVIRONMENT_VAR, Environment, current_environment
from platform_config.settings import PlatformSettings, SettingsError, load_settings

__all__ = [
    "ENVIRONMENT_REMEDY",
    "ENVIRONMENT_VAR",
    "Environment",
    "PlatformSettings",
    "SettingsError",
    "credential_paths",
    "credentials_message",
    "current_environment",
    "load_settings",
    "reject_credentials",
]
