"""The deployment environment switch."""

import os
from collections.abc import Mapping
from enum import StrEnum

ENVIRONMENT_VAR = "DAGSTER_ENVIRONMENT"

_ALIASES = {"branch": "npd", "dev": "local"}


class Environment(StrEnum):
    """Where a location runs; only resources differ between them, never asset or sensor code.

    ``local`` runs on embedded or local stand-ins (no cloud account); ``npd`` (non-production,
    also accepted as ``branch``) and ``prod`` run against the real services.
    """

    LOCAL = "local"
    NPD = "npd"
    PROD = "prod"

    @property
    def is_local(self) -> bool:
        return self is Environment.LOCAL


def current_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """Read ``DAGSTER_ENVIRONMENT``; unset or empty means ``local``."""
    env = os.environ if environ is None else environ
    raw = env.get(ENVIRONMENT_VAR, "").strip().lower()
    if not raw:
        return Environment.LOCAL
    value = _ALIASES.get(raw, raw)
    try:
        return Environment(value)
    except ValueError:
        allowed = ", ".join(e.value for e in Environment)
        raise ValueError(
            f"{ENVIRONMENT_VAR}={raw!r} is not a known environment: use one of {allowed} "
            f"(or leave it unset for local)."
        ) from None
