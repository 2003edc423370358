import pytest

from platform_config import credential_paths, credentials_message, reject_credentials


@pytest.mark.parametrize(
    ("value", "paths"),
    [
        ({"host": "h", "Password": "x"}, ["Password"]),
        ({"host": "h", "db_password": "x"}, ["db_password"]),
        ({"options": {"sslkey": {"private_key": "x"}}}, ["options.sslkey.private_key"]),
        ({"extra": '{"clientSecret": "x"}'}, ["extra.clientSecret"]),
        ('{"api_key": "x"}', ["api_key"]),
        ({"url": "postgresql://u:hunter2@h/db"}, ["url"]),
        ({"hosts": [{"token": "x"}]}, ["hosts[0].token"]),
        (
            {"a": {"jwt_token": "x", "b": [{"AZURE_CLIENT_SECRET": "y"}]}},
            ["a.b[0].AZURE_CLIENT_SECRET", "a.jwt_token"],
        ),
        ({"host": "h", "user": "u", "password": ""}, []),
        ({"host": "h", "database": "d", "port": 5432, "sslmode": "require"}, []),
        ({"bucket": "raw", "prefix": "s3://bucket/landing/"}, []),
    ],
)
def test_credentials_are_found_recursively_and_by_key_pattern(value, paths) -> None:
    assert credential_paths(value) == paths


def test_the_message_names_where_the_secret_is_and_what_to_do_never_the_value() -> None:
    with pytest.raises(ValueError) as raised:
        reject_credentials("run config", {"resources": {"api": {"api_key": "k-123456"}}})
    message = str(raised.value)
    assert "run config must not hold resources.api.api_key" in message
    assert "dg.EnvVar('X')" in message and "{{ env.X }}" in message
    assert "k-123456" not in message


def test_a_caller_gives_its_own_remedy() -> None:
    assert credentials_message("db_config_value", ["password"], "use the secret scope") == (
        "db_config_value must not hold password: use the secret scope"
    )
    assert reject_credentials("clean", {"host": "h"}) == {"host": "h"}
