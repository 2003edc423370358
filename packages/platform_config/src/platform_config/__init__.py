"""Shared configuration base for every code location.

One switch, ``DAGSTER_ENVIRONMENT``, picks which implementation each resource uses; typed
settings classes read the rest of the environment and fail with a message that names the
variable to fix.
"""

from platform_config.environment import ENVIRONMENT_VAR, Environment, current_environment
from platform_config.settings import PlatformSettings, SettingsError, load_settings

__all__ = [
    "ENVIRONMENT_VAR",
    "Environment",
    "PlatformSettings",
    "SettingsError",
    "current_environment",
    "load_settings",
]
