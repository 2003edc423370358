"""``BigQuery``: dagster-gcp's BigQuery resource with its key file taken as a ``Secret``.

``BigQueryResource.gcp_credentials`` is a plain ``str``, so a base64 service-account key
pasted into the Launchpad would pass validation and be stored with the run. Here it names
the variable that holds the key (``{env: NAME}``), so a literal is refused before any run
exists; unset, the client uses the environment's default credentials (workload identity).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster_gcp import BigQueryResource
from google.cloud import bigquery
from pydantic import ConfigDict, Field

from platform_config.env_secret import Secret, read_secret


class BigQuery(BigQueryResource):
    """BigQuery for the estore loads; same config as ``BigQueryResource`` but the key."""

    model_config = ConfigDict(hide_input_in_errors=True)

    gcp_credentials: Secret | None = Field(  # pyright: ignore[reportIncompatibleVariableOverride]
        default=None, description="Variable holding a base64 service-account key (optional)."
    )

    @contextmanager
    def get_client(self) -> Iterator[bigquery.Client]:
        resolved = BigQueryResource(
            project=self.project,
            location=self.location,
            gcp_credentials=read_secret(self.gcp_credentials),
        )
        with resolved.get_client() as client:
            yield client
