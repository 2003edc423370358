"""``TableLoad``: an analyst registers one table load in a few lines of YAML.

``dg scaffold defs dataloader.components.TableLoad tables/<name>`` writes the template;
``dg check defs`` rejects a bad entry (an unknown strategy, an incremental load without
its column, a bad cron expression, a password in the connection settings, a name that is
not an identifier). The master sensor syncs the registered tables into ``table_control``.
"""

import re
from typing import Any, Literal

import dagster as dg
from croniter import croniter
from pydantic import ConfigDict, Field, field_validator, model_validator

from dataloader.connection_settings import reject_credentials
from dataloader.sensors.registrations import registration_metadata
from lakebase import DB_CONFIG_KEYS, TableRegistration
from platform_config import current_environment

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TableLoadScaffolder(dg.Scaffolder):
    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        name = request.target_path.name
        dg.scaffold_component(
            request,
            {
                "control_key": f"postgres.public.{name}",
                "db_type": "postgres",
                "db_config_value": {"host": "db.example.com", "port": 5432, "database": "app"},
                "db_kv_scope": "app-db",
                "source_schema_name": "public",
                "source_table_name": name,
                "destination_catalog": "bronze",
                "destination_schema_name": "app",
                "destination_table_name": name,
                "load_strategy": "full",
                "cron_schedule": "0 2 * * *",
            },
        )


@dg.scaffold_with(TableLoadScaffolder)
class TableLoad(dg.Component, dg.Model, dg.Resolvable):
    """One table to load: source, destination, strategy and schedule."""

    # A password typed into the YAML by mistake must not be echoed back in the error.
    model_config = ConfigDict(hide_input_in_errors=True)

    control_key: str = Field(description="Unique name of the load, e.g. 'crm.public.orders'.")
    db_type: Literal["postgres", "postgresql", "sqlserver", "mysql", "oracle"]
    db_config_value: dict[str, Any] = Field(
        description="Connection settings without secrets: host, port, database."
    )
    db_kv_scope: str = Field(
        default="",
        description="Secret scope holding 'user' and 'password' (locally: <SCOPE>_PASSWORD).",
    )
    source_catalog: str = ""
    source_schema_name: str
    source_table_name: str
    destination_catalog: str
    destination_schema_name: str
    destination_table_name: str
    load_strategy: Literal["full", "incremental"] = "full"
    incremental_column: str | None = None
    cron_schedule: str = "0 2 * * *"
    is_active: bool = True
    environments: list[Literal["local", "npd", "prod"]] = ["local", "npd", "prod"]

    @field_validator("destination_catalog", "destination_schema_name", "destination_table_name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.fullmatch(value):
            raise ValueError(f"{value!r} is not an identifier (letters, digits and _ only)")
        return value

    @field_validator("cron_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression (e.g. '0 2 * * *')")
        return value

    @field_validator("db_config_value")
    @classmethod
    def _no_secrets(cls, value: dict[str, Any]) -> dict[str, Any]:
        reject_credentials("db_config_value", value)
        missing = [k for k in ("host", "database") if k not in value]
        if missing:
            raise ValueError(f"db_config_value is missing {', '.join(missing)}")
        if unknown := sorted(k for k in value if k not in DB_CONFIG_KEYS):
            raise ValueError(
                f"db_config_value has unknown key(s) {', '.join(unknown)}: use only "
                f"{', '.join(DB_CONFIG_KEYS)}"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_secrets_anywhere(cls, data: Any) -> Any:
        """Credentials in any attribute (``db_kv_scope: "user:pw"``, a URI...) are refused."""
        if isinstance(data, dict):
            rest = {k: v for k, v in data.items() if k != "db_config_value"}
            reject_credentials("the table load", rest)
        return data

    @model_validator(mode="after")
    def _incremental_needs_column(self) -> "TableLoad":
        if self.load_strategy == "incremental" and not self.incremental_column:
            raise ValueError("load_strategy 'incremental' needs incremental_column")
        return self

    def registration(self) -> TableRegistration:
        return TableRegistration(
            control_key=self.control_key,
            source_catalog=self.source_catalog,
            source_schema_name=self.source_schema_name,
            source_table_name=self.source_table_name,
            destination_catalog=self.destination_catalog,
            destination_schema_name=self.destination_schema_name,
            destination_table_name=self.destination_table_name,
            db_type=self.db_type,
            db_config_value=self.db_config_value,
            db_kv_scope=self.db_kv_scope,
            load_strategy=self.load_strategy,
            incremental_column=self.incremental_column,
            cron_schedule=self.cron_schedule,
            is_active=self.is_active,
        )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        if current_environment().value not in self.environments:
            return dg.Definitions()
        return dg.Definitions(metadata=registration_metadata(self.registration()))
