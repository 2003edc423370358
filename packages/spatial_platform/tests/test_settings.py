"""The settings read the spec's variables, default the spec's names and name what is wrong."""

import pytest

from platform_config import SettingsError, load_settings
from spatial_platform import MinIOSettings, MongoSettings, PostGISSettings


def test_minio_settings_default_the_spec_buckets_and_hide_the_password() -> None:
    settings = load_settings(
        MinIOSettings,
        {"MINIO_ENDPOINT": "minio:9000", "MINIO_ROOT_USER": "u", "MINIO_ROOT_PASSWORD": "s3cret"},
    )
    assert (settings.landing_bucket, settings.lake_bucket) == ("landing-zone", "data-lake")
    assert settings.use_ssl is False
    assert "s3cret" not in repr(settings)


def test_minio_buckets_are_configurable() -> None:
    settings = load_settings(
        MinIOSettings,
        {
            "MINIO_ENDPOINT": "minio:9000",
            "MINIO_ROOT_USER": "u",
            "MINIO_ROOT_PASSWORD": "p",
            "MINIO_LANDING_BUCKET": "inbox",
            "MINIO_LAKE_BUCKET": "lake",
            "MINIO_USE_SSL": "true",
        },
    )
    assert (settings.landing_bucket, settings.lake_bucket, settings.use_ssl) == (
        "inbox",
        "lake",
        True,
    )


def test_minio_endpoint_with_a_scheme_is_refused_with_the_variable_named() -> None:
    with pytest.raises(SettingsError, match=r"MINIO_ENDPOINT is invalid.*host:port"):
        load_settings(
            MinIOSettings,
            {
                "MINIO_ENDPOINT": "http://minio:9000",
                "MINIO_ROOT_USER": "u",
                "MINIO_ROOT_PASSWORD": "p",
            },
        )


def test_postgis_settings_name_every_missing_variable() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(PostGISSettings, {})
    assert "POSTGRES_USER is not set" in str(info.value)
    assert "POSTGRES_PASSWORD is not set" in str(info.value)


def test_postgis_database_defaults_to_spatial_compute() -> None:
    settings = load_settings(PostGISSettings, {"POSTGRES_USER": "u", "POSTGRES_PASSWORD": "p"})
    assert (settings.host, settings.port, settings.db) == ("postgis", 5432, "spatial_compute")


def test_mongo_connection_string_wins_and_credentials_are_escaped() -> None:
    given = load_settings(MongoSettings, {"MONGO_CONNECTION_STRING": "mongodb://x:y@h:1/db"})
    assert given.uri() == "mongodb://x:y@h:1/db"
    built = load_settings(
        MongoSettings,
        {"MONGO_INITDB_ROOT_USERNAME": "admin", "MONGO_INITDB_ROOT_PASSWORD": "p@ss/word"},
    )
    assert built.uri() == "mongodb://admin:p%40ss%2Fword@mongodb:27017/spatial_etl?authSource=admin"
    assert built.database == "spatial_etl"
