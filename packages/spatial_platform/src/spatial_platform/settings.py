"""Typed settings of the spatial ETL's services, read from the spec's environment variables.

Production resources are built from the same variables (secrets as ``dg.EnvVar`` so their
values never enter definitions); these classes give scripts, benchmarks and health checks
one validated view of them, with errors that name the variable to set.
"""

from typing import ClassVar
from urllib.parse import quote_plus

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from platform_config import PlatformSettings

LANDING_BUCKET = "landing-zone"
LAKE_BUCKET = "data-lake"
LEDGER_DATABASE = "spatial_etl"
COMPUTE_DATABASE = "spatial_compute"


class MinIOSettings(PlatformSettings):
    """``MINIO_*``: the object store holding the landing zone and the lake."""

    model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(
        env_prefix="MINIO_", extra="ignore", frozen=True, case_sensitive=False
    )

    endpoint: str
    root_user: str
    root_password: SecretStr
    use_ssl: bool = False
    landing_bucket: str = LANDING_BUCKET
    lake_bucket: str = LAKE_BUCKET

    @field_validator("endpoint")
    @classmethod
    def _host_port_only(cls, value: str) -> str:
        if "://" in value or "/" in value:
            raise ValueError(
                f"{value!r} must be host:port without a scheme or path (e.g. minio:9000); "
                "set MINIO_USE_SSL=true for https"
            )
        return value


class MongoSettings(PlatformSettings):
    """``MONGO_*``: the MongoDB ledger (manifests, runs, assets).

    ``MONGO_CONNECTION_STRING`` wins when set; otherwise the URI is built from host, port
    and the ``MONGO_INITDB_ROOT_*`` credentials, as the MongoDB image names them.
    """

    model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(
        env_prefix="MONGO_", extra="ignore", frozen=True, case_sensitive=False
    )

    connection_string: SecretStr | None = None
    host: str = "mongodb"
    port: int = 27017
    initdb_root_username: str | None = None
    initdb_root_password: SecretStr | None = None
    database: str = LEDGER_DATABASE
    auth_source: str = "admin"

    def uri(self) -> str:
        if self.connection_string is not None:
            return self.connection_string.get_secret_value()
        if self.initdb_root_username and self.initdb_root_password:
            user = quote_plus(self.initdb_root_username)
            password = quote_plus(self.initdb_root_password.get_secret_value())
            return (
                f"mongodb://{user}:{password}@{self.host}:{self.port}/{self.database}"
                f"?authSource={self.auth_source}"
            )
        return f"mongodb://{self.host}:{self.port}/{self.database}"


class PostGISSettings(PlatformSettings):
    """``POSTGRES_*``: the PostGIS server used as a transient compute engine."""

    model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(
        env_prefix="POSTGRES_", extra="ignore", frozen=True, case_sensitive=False
    )

    host: str = "postgis"
    port: int = 5432
    user: str
    password: SecretStr
    db: str = COMPUTE_DATABASE
    sslmode: str = "prefer"
