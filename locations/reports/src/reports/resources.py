"""Resources of the reports location: the same keys in every environment, other endpoints.

``local`` resources talk to the simulators (started at first use, never at load) and keep
results in a Delta folder under ``$DAGSTER_HOME/local``; the others reach the real Django
API, Fireant and OneLake with credentials read from the environment at run time. Secret
fields are ``Secret``s: run config names the variable (``{env: DJANGO_JWT_TOKEN}``), so a
token pasted into the Launchpad is a config error before any run exists.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from platform_config.env_secret import ResourceWithSecrets, Secret, read_secret

if TYPE_CHECKING:  # the clients import httpx and pyarrow: only when a run or tick needs them
    from django_api import DjangoAPIClient
    from fabric_store import FabricStore
    from fireant import FireantClient, PollPolicy
    from resilient_http import RetryPolicy


class _Http(ResourceWithSecrets):
    timeout_seconds: float = 30.0
    max_retries: int = 3
    local: bool = False

    def retry_policy(self) -> "RetryPolicy":
        from resilient_http import RetryPolicy

        return RetryPolicy(timeout_seconds=self.timeout_seconds, max_retries=self.max_retries)


class DjangoApiResource(_Http):
    """The Django API: the report catalogue, report data, job records."""

    base_url: str = "http://localhost:8000"
    jwt_token: Secret | None = Field(default=None, description="DJANGO_JWT_TOKEN")
    username: str | None = None
    password: Secret | None = Field(default=None, description="DJANGO_PASSWORD")

    def client(self) -> "DjangoAPIClient":
        from django_api import DjangoAPIClient

        if self.local:
            from report_simulators import DEFAULT_PASSWORD, DEFAULT_USERNAME
            from reports.local_simulators import ensure_local_simulators

            return DjangoAPIClient(
                ensure_local_simulators().django_url,
                username=DEFAULT_USERNAME,
                password=DEFAULT_PASSWORD,
                policy=self.retry_policy(),
            )
        return DjangoAPIClient(
            self.base_url,
            token=read_secret(self.jwt_token),
            username=self.username,
            password=read_secret(self.password),
            policy=self.retry_policy(),
        )


class FireantResource(_Http):
    """The Fireant API and how long to wait for its jobs."""

    base_url: str = "https://fireant-api.com"
    api_key: Secret | None = Field(default=None, description="FIREANT_API_KEY")
    max_poll_attempts: int = 120
    poll_interval_seconds: float = 60.0

    def client(self) -> "FireantClient":
        from fireant import FireantClient

        if self.local:
            from report_simulators import DEFAULT_API_KEY
            from reports.local_simulators import ensure_local_simulators

            return FireantClient(
                ensure_local_simulators().fireant_url, DEFAULT_API_KEY, policy=self.retry_policy()
            )
        api_key = read_secret(self.api_key)
        if not api_key:
            raise dg.DagsterInvariantViolationError(
                "Fireant needs FIREANT_API_KEY in the environment"
            )
        return FireantClient(self.base_url, api_key, policy=self.retry_policy())

    def poll_policy(self) -> "PollPolicy":
        from fireant import PollPolicy

        return PollPolicy(
            max_poll_attempts=self.max_poll_attempts,
            poll_interval_seconds=self.poll_interval_seconds,
        )


class FabricStorageResource(ResourceWithSecrets):
    """The results table: OneLake in Microsoft Fabric, or a local Delta folder."""

    local_folder: str | None = None
    workspace_id: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: Secret | None = Field(default=None, description="AZURE_CLIENT_SECRET")
    account_name: str = "onelake"
    lakehouse: str = "reports.Lakehouse"
    table: str = "report_results"

    def store(self) -> "FabricStore":
        from fabric_store import FabricStore, local_location, onelake_location

        if self.local_folder is not None:
            from local_services import state_dir

            folder = Path(self.local_folder) if self.local_folder else state_dir("reports-fabric")
            return FabricStore(local_location(folder / self.table))
        client_secret = read_secret(self.client_secret)
        missing = [
            name
            for name, value in [
                ("FABRIC_WORKSPACE_ID", self.workspace_id),
                ("AZURE_TENANT_ID", self.tenant_id),
                ("AZURE_CLIENT_ID", self.client_id),
                ("AZURE_CLIENT_SECRET", client_secret),
            ]
            if not value
        ]
        if missing:
            raise dg.DagsterInvariantViolationError(f"Fabric storage needs {', '.join(missing)}")
        return FabricStore(
            onelake_location(
                workspace_id=self.workspace_id or "",
                tenant_id=self.tenant_id or "",
                client_id=self.client_id or "",
                client_secret=client_secret or "",
                account_name=self.account_name,
                lakehouse=self.lakehouse,
                table=self.table,
            )
        )
