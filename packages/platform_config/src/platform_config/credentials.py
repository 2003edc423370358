"""Finding credentials in config before it reaches run config, tags, logs or Dagster storage.

Config enters from many places (YAML components, sensors' run requests, config classes,
the Launchpad); each checks it with :func:`credential_paths`, recursively and by key pattern,
inside JSON strings and in connection URIs. Errors name where a credential is, never its value.
"""

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

# Keys that name a credential: password, db_password, passwd, pwd, clientSecret, api_key,
# access_token, private-key, credentials, ...
CREDENTIAL_KEY = re.compile(
    r"pass(word|wd)?|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential",
    re.IGNORECASE,
)
# scheme://user:password@host
_URI_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")

ENVIRONMENT_REMEDY = (
    "read it from the environment instead ({{ env.X }} in YAML, dg.EnvVar('X') in Python, "
    "{env: X} in run config)"
)


def credential_paths(value: Any, path: str = "") -> list[str]:
    """Where ``value`` holds a credential: dotted key paths, sorted (empty when clean)."""
    return sorted(set(_credential_paths(value, path)))


def _credential_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if CREDENTIAL_KEY.search(str(key)) and item not in (None, ""):
                yield here
            else:
                yield from _credential_paths(item, here)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _credential_paths(item, f"{path}[{index}]")
    elif isinstance(value, str):
        if _URI_PASSWORD.search(value):
            yield path or "<value>"
        elif value.lstrip()[:1] in ("{", "["):
            try:
                parsed = json.loads(value)
            except ValueError:
                return
            yield from _credential_paths(parsed, path)


def credentials_message(field: str, paths: list[str], remedy: str = ENVIRONMENT_REMEDY) -> str:
    """The error for credentials found in ``field``: names the keys, never the values."""
    return f"{field} must not hold {', '.join(paths)}: {remedy}"


def reject_credentials(field: str, value: Any, remedy: str = ENVIRONMENT_REMEDY) -> Any:
    """``value`` unchanged, or ``ValueError`` naming where credentials are (not their value).

    Shaped for pydantic validators: ``return reject_credentials("db_config_value", value)``.
    """
    if paths := credential_paths(value):
        raise ValueError(credentials_message(field, paths, remedy))
    return value
