"""A secret typed into the Launchpad's run config is refused before a run exists.

``db_config_value`` is a closed shape (where the source is, no login), and the resources'
secrets (Lakebase password, Databricks tokens) take only an environment variable's name.
"""

import dagster as dg
import pytest

from dataloader.assets.table_load import TABLE_LOAD_OP, dataloader_table_load
from dataloader.connection_settings import SourceConnection
from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource
from lakebase import DB_CONFIG_KEYS
from platform_testing.launchpad import assert_literal_secret_refused, assert_refused_before_a_run

PASTED = "pasted-password-4b1d"

defs = dg.Definitions(
    assets=[dataloader_table_load],
    jobs=[dg.define_asset_job("table_load_job", [dataloader_table_load])],
    resources={
        "lakebase": LakebaseResource(
            host="lakebase.example", password=dg.EnvVar("LAKEBASE_PASSWORD")
        ),
        "pipes_databricks": PipesComputeResource(
            backend="databricks", token=dg.EnvVar("DATABRICKS_TOKEN")
        ),
        "databricks_rest": DestinationCatalogResource(
            backend="databricks", token=dg.EnvVar("DATABRICKS_TOKEN")
        ),
    },
)


def _load_config(db_config_value: dict) -> dict:
    return {
        "ops": {
            TABLE_LOAD_OP: {
                "config": {
                    "config_id": 1,
                    "control_key": "crm.public.orders",
                    "metadata_id": 1,
                    "source_schema_name": "public",
                    "source_table_name": "orders",
                    "destination_catalog": "bronze",
                    "destination_schema_name": "crm",
                    "destination_table_name": "orders",
                    "db_type": "postgres",
                    "db_config_value": db_config_value,
                }
            }
        }
    }


@pytest.mark.parametrize("key", ["password", "db_password", "options"])
def test_a_password_in_the_connection_settings_is_refused_before_a_run_exists(key: str) -> None:
    connection = {"host": "db", "database": "crm", key: PASTED}
    assert_refused_before_a_run(
        "table_load_job",
        _load_config(connection),
        f'unexpected config entry "{key}" at path root:ops:{TABLE_LOAD_OP}:config:db_config_value',
        PASTED,
        python_file=__file__,
        attribute="defs",
    )


@pytest.mark.parametrize(
    ("resource", "field"),
    [("lakebase", "password"), ("pipes_databricks", "token"), ("databricks_rest", "token")],
)
def test_a_literal_secret_for_a_resource_is_refused_before_a_run_exists(
    resource: str, field: str
) -> None:
    assert_literal_secret_refused(
        "table_load_job", resource, field, value=PASTED, python_file=__file__, attribute="defs"
    )


def test_the_run_config_shape_is_the_claim_contract() -> None:
    """The claim refuses rows with other keys, so every claimed row fits the shape."""
    assert tuple(SourceConnection.model_fields) == DB_CONFIG_KEYS
    connection = SourceConnection(host="db", port=5432, database="crm")
    assert connection.as_dict() == {"host": "db", "port": 5432, "database": "crm"}
