import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from platform_config import PlatformSettings, SettingsError, load_settings


class DatabaseSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_DB_")

    host: str
    port: int = 5432
    password: SecretStr


def test_reads_typed_values_from_a_mapping() -> None:
    settings = load_settings(
        DatabaseSettings,
        {"DEMO_DB_HOST": "db", "DEMO_DB_PORT": "6543", "demo_db_password": "hunter2"},
    )
    assert (settings.host, settings.port) == ("db", 6543)
    assert settings.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)


def test_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_DB_HOST", "from-env")
    monkeypatch.setenv("DEMO_DB_PASSWORD", "pw")
    assert load_settings(DatabaseSettings).host == "from-env"


def test_missing_variables_are_named() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(DatabaseSettings, {"DEMO_DB_PORT": "1"})
    message = str(caught.value)
    assert "DEMO_DB_HOST is not set" in message
    assert "DEMO_DB_PASSWORD is not set" in message


def test_bad_values_are_named_without_echoing_them() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            DatabaseSettings,
            {"DEMO_DB_HOST": "h", "DEMO_DB_PORT": "not-a-port", "DEMO_DB_PASSWORD": "p"},
        )
    assert "DEMO_DB_PORT is invalid" in str(caught.value)
    assert "not-a-port" not in str(caught.value)
