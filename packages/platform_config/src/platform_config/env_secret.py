"""Secrets in resource config: the name of an environment variable, never the value.

Dagster types a ``str`` resource field as ``StringSource``, which takes ``dg.EnvVar("X")``
and ``{env: X}`` but also a literal: a secret pasted into the Launchpad
(``resources: {api: {config: {token: "..."}}}``) passes validation and is stored with the run.
An ``EnvSecret`` field's config type is the shape ``{env: String}`` instead. Dagster checks
run config against it when the Launchpad (GraphQL ``launchPipelineExecution``) submits it,
before any run exists, so a literal is a config error naming the field, and nothing is
stored. The value is read from the environment only when the resource uses it.

Dagster's config schema has no string patterns, so a value pasted *into* ``env``
(``{env: "<the token>"}``) passes the Launchpad; the name is checked when Dagster first
builds the config object: at definition load for YAML and Python, and for run config when
the run initialises the resource, before any secret is read. Only a conventional variable
name (``UPPER_SNAKE_CASE``) is accepted, and no message ever shows a value that is not one.

Whoever builds the resource passes ``dg.EnvVar("X")`` (or ``{"env": "X"}``); a literal
string is refused there too, since it would become the resource's default config, which
Dagster stores in the job's snapshot. Declare fields as ``Secret | None`` and read them
with :func:`read_secret`::

    class ApiResource(ResourceWithSecrets):
        api_key: Secret | None = None

    ApiResource(api_key=dg.EnvVar("API_KEY"))
"""

import os
import re
from typing import TYPE_CHECKING, Any, TypeAlias

import dagster as dg
from pydantic import ConfigDict, Field, field_validator, model_validator

# Conventional environment variable names: upper-case letters, digits and _, at most 128.
# Tokens are mixed case or carry -, . or +, so one pasted into `env` is refused, not echoed.
_VARIABLE = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
LITERAL_REFUSED = (
    "a secret is taken only from the environment: pass dg.EnvVar('NAME') in Python, "
    "{env: NAME} in YAML or run config; a literal value would be stored in Dagster"
)


class SecretNotSet(dg.DagsterInvariantViolationError):
    """The environment variable a secret field names is not set where the run executes."""


class EnvSecret(dg.Config):
    """A secret read from the environment variable ``env`` when the resource uses it."""

    model_config = ConfigDict(hide_input_in_errors=True)

    env: str = Field(description="Name of the environment variable that holds the secret.")

    @model_validator(mode="before")
    @classmethod
    def _only_a_reference(cls, data: Any) -> Any:
        if isinstance(data, dg.EnvVar):
            return {"env": data.env_var_name}
        if isinstance(data, str):
            raise ValueError(LITERAL_REFUSED)
        return data

    @field_validator("env")
    @classmethod
    def _a_variable_name(cls, value: str) -> str:
        if not _VARIABLE.fullmatch(value):
            raise ValueError(
                "env must be the name of an environment variable (upper-case letters, digits "
                "and _, e.g. API_TOKEN), not the secret itself; the value given is not shown"
            )
        return value

    def get_value(self) -> str:
        """The secret, or ``SecretNotSet`` naming the variable (never echoing a value)."""
        name = self.env if _VARIABLE.fullmatch(self.env) else "the variable named in env"
        value = os.environ.get(self.env)
        if not value:
            raise SecretNotSet(f"{name} is not set: set it in the environment of the run")
        return value


if TYPE_CHECKING:
    # Whoever builds a resource may pass ``dg.EnvVar("X")``; Dagster keeps it on the instance.
    Secret: TypeAlias = EnvSecret | dg.EnvVar
else:
    Secret = EnvSecret


class ResourceWithSecrets(dg.ConfigurableResource):
    """Base for resources with ``Secret`` fields: a validation error never echoes input, and
    a field built from ``dg.EnvVar`` holds an ``EnvSecret`` (so ``model_dump`` and copies
    keep the reference; Dagster alone would put the ``EnvVar`` back on the instance)."""

    model_config = ConfigDict(hide_input_in_errors=True)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        for name, value in self.__dict__.items():
            if isinstance(value, dg.EnvVar) and _is_secret_field(type(self), name):
                self.__dict__[name] = EnvSecret(env=value.env_var_name)


def _is_secret_field(cls: type[dg.ConfigurableResource], name: str) -> bool:
    field = cls.model_fields.get(name)
    if field is None:
        return False
    return field.annotation is EnvSecret or EnvSecret in getattr(field.annotation, "__args__", ())


def read_secret(reference: Secret | None) -> str | None:
    """The value an ``EnvSecret`` field names, or ``None`` when the field is unset.

    Takes an ``EnvVar`` too: resources that cannot derive from ``ResourceWithSecrets`` keep
    the ``EnvVar`` they were built with on the instance.
    """
    if reference is None:
        return None
    if isinstance(reference, dg.EnvVar):
        reference = EnvSecret(env=reference.env_var_name)
    return reference.get_value()
