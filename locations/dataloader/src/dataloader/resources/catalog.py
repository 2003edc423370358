"""The ``databricks_rest`` resource: column names and types of loaded destination tables.

In production a Databricks SQL warehouse answers ``DESCRIBE TABLE``; locally the Delta
tables of the local lakehouse are read directly.
"""

from pathlib import Path
from typing import Literal

from lakebase.validation import check_identifier
from local_services import state_dir
from platform_config.env_secret import ResourceWithSecrets, Secret, read_secret

Column = tuple[str, str]


class DestinationCatalogResource(ResourceWithSecrets):
    """Where loaded tables live, and how to read their schemas."""

    backend: Literal["local", "databricks"] = "local"
    lakehouse_root: str = ""
    server_hostname: str | None = None
    http_path: str | None = None
    token: Secret | None = None

    def root(self) -> Path:
        """The local lakehouse folder (``$DAGSTER_HOME/local/lakehouse`` by default)."""
        return Path(self.lakehouse_root) if self.lakehouse_root else state_dir("lakehouse")

    def table_uri(self, catalog: str, schema: str, table: str) -> str:
        """Where the local back-end keeps ``catalog.schema.table`` (a Delta table)."""
        check_identifier("destination_catalog", catalog)
        check_identifier("destination_schema_name", schema)
        check_identifier("destination_table_name", table)
        return str(self.root() / catalog / schema / table)

    def describe_table(self, catalog: str, schema: str, table: str) -> list[Column]:
        if self.backend == "local":
            from table_loader import describe_delta_table

            return describe_delta_table(self.table_uri(catalog, schema, table))
        # The `databricks` extra: installed in production images only.
        from databricks import sql as databricks_sql  # pyright: ignore[reportMissingImports]

        name = ".".join(f"`{part.replace('`', '``')}`" for part in (catalog, schema, table))
        with (
            databricks_sql.connect(
                server_hostname=self.server_hostname,
                http_path=self.http_path,
                access_token=read_secret(self.token),
            ) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DESCRIBE TABLE {name}")
            rows = cursor.fetchall()
        # DESCRIBE lists columns, then a blank row and partition/detail sections.
        columns: list[Column] = []
        for col_name, data_type, *_ in rows:
            if not col_name or col_name.startswith("#"):
                break
            columns.append((col_name, data_type))
        return columns
