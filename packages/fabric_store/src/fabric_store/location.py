"""Where the results table lives, and the credentials deltalake needs to reach it."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT_NAME = "devstoreaccount1"
AZURITE_ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
DEFAULT_TABLE = "report_results"
DEFAULT_LAKEHOUSE = "reports.Lakehouse"


@dataclass(frozen=True)
class TableLocation:
    """A Delta table URI and its deltalake ``storage_options`` (kept out of ``repr``)."""

    uri: str
    storage_options: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def is_local(self) -> bool:
        return "://" not in self.uri or self.uri.startswith("file://")


def local_location(folder: Path | str) -> TableLocation:
    """A Delta table in a local folder (``dg dev`` and tests)."""
    return TableLocation(str(Path(folder).resolve()))


def onelake_location(
    *,
    workspace_id: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    account_name: str = "onelake",
    lakehouse: str = DEFAULT_LAKEHOUSE,
    table: str = DEFAULT_TABLE,
) -> TableLocation:
    """``abfss://<workspace>@<account>.dfs.fabric.microsoft.com/<lakehouse>/Tables/<table>``.

    Authenticates as an Entra ID service principal (client secret).
    """
    uri = (
        f"abfss://{workspace_id}@{account_name}.dfs.fabric.microsoft.com/{lakehouse}/Tables/{table}"
    )
    return TableLocation(
        uri,
        {
            "account_name": account_name,
            "azure_tenant_id": tenant_id,
            "azure_client_id": client_id,
            "azure_client_secret": client_secret,
            "use_fabric_endpoint": "true",
        },
    )


ONELAKE_ENV = ("FABRIC_WORKSPACE_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")


def onelake_location_from_env(env: Mapping[str, str] | None = None) -> TableLocation:
    """The OneLake table from ``FABRIC_WORKSPACE_ID``, ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``,
    ``AZURE_CLIENT_SECRET`` and optionally ``AZURE_ACCOUNT_NAME`` (default ``onelake``),
    ``FABRIC_LAKEHOUSE_ID`` (default ``reports.Lakehouse``), ``FABRIC_TABLE`` (``report_results``).
    """
    env = os.environ if env is None else env
    missing = [name for name in ONELAKE_ENV if not env.get(name)]
    if missing:
        raise ValueError(f"Fabric storage needs {', '.join(missing)} in the environment")
    return onelake_location(
        workspace_id=env["FABRIC_WORKSPACE_ID"],
        tenant_id=env["AZURE_TENANT_ID"],
        client_id=env["AZURE_CLIENT_ID"],
        client_secret=env["AZURE_CLIENT_SECRET"],
        account_name=env.get("AZURE_ACCOUNT_NAME") or "onelake",
        lakehouse=env.get("FABRIC_LAKEHOUSE_ID") or DEFAULT_LAKEHOUSE,
        table=env.get("FABRIC_TABLE") or DEFAULT_TABLE,
    )


def azurite_location(
    *, blob_endpoint: str, container: str, table: str = DEFAULT_TABLE
) -> TableLocation:
    """A Delta table in an Azurite container over HTTP (``http://127.0.0.1:<port>``)."""
    return TableLocation(
        f"az://{container}/{table}",
        {
            "account_name": AZURITE_ACCOUNT_NAME,
            "account_key": AZURITE_ACCOUNT_KEY,
            "azure_storage_endpoint": f"{blob_endpoint.rstrip('/')}/{AZURITE_ACCOUNT_NAME}",
            "allow_http": "true",
        },
    )
