"""Where estore's local stand-ins live, read from ``ESTORE_*`` variables (all optional)."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from platform_config import PlatformSettings, load_settings


class EstoreSettings(PlatformSettings):
    """``ESTORE_GCS_ENDPOINT``: a GCS emulator URL to use instead of the local landing folder;
    ``ESTORE_LANDING_DIR``: the local landing folder (a sub-folder per bucket);
    ``ESTORE_DUCKDB_PATH``: the local warehouse file; ``ESTORE_GCP_PROJECT``: the production
    project of the landing bucket and BigQuery."""

    model_config = SettingsConfigDict(env_prefix="ESTORE_", extra="ignore", frozen=True)

    gcs_endpoint: str | None = None
    landing_dir: Path | None = None
    duckdb_path: Path | None = None
    gcp_project: str | None = None


def estore_settings() -> EstoreSettings:
    return load_settings(EstoreSettings)


def local_state_dir() -> Path:
    """``.dagster/local/estore`` under ``scripts/dev`` (see ``local_services.state_dir``)."""
    from local_services import state_dir

    return state_dir("estore")


def local_duckdb_path() -> Path:
    """The local warehouse file: ``ESTORE_DUCKDB_PATH``, else ``warehouse.duckdb`` in
    :func:`local_state_dir`. The load job appends to it; dbt transforms it."""
    return estore_settings().duckdb_path or local_state_dir() / "warehouse.duckdb"
