"""Typed settings read from environment variables, with errors that name the variable."""

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound="PlatformSettings")


class SettingsError(ValueError):
    """A required environment variable is missing or holds a value of the wrong type."""


class PlatformSettings(BaseSettings):
    """Base for a service's settings: subclass with ``env_prefix`` and typed fields.

    Values never appear in errors or reprs of ``SecretStr`` fields, so a password can be a
    field without ending up in a log.
    """

    model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(
        extra="ignore", frozen=True, case_sensitive=False
    )


def load_settings(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
    """Build ``cls`` from the environment (or ``environ``), naming each bad variable on error."""
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    try:
        if environ is None:
            return cls()
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = f"{prefix}{name}".upper()
            match = next((v for k, v in environ.items() if k.upper() == key), None)
            if match is not None:
                values[name] = match
        return cls.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            variable = f"{prefix}{field}".upper()
            if error["type"] == "missing":
                problems.append(f"{variable} is not set")
            else:
                problems.append(f"{variable} is invalid: {error['msg']}")
        raise SettingsError(
            f"{cls.__name__}: " + "; ".join(problems) + ". Set it in the environment or in "
            "the location's .env file."
        ) from None
