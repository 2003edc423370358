"""``landing_table_git_job``: writes staging schema files for newly loaded tables into git.

One YAML file per table (a dbt ``sources`` entry with its columns and types) under
``<models_dir>/<catalog>/<schema>/<table>.yml``, committed in one commit; only then are the
tables marked ``staging_model_processed``.
"""

import subprocess
from pathlib import Path

import dagster as dg
import yaml

from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.lakebase import LakebaseResource
from lakebase import TableControl
from local_services import state_dir

LANDING_JOB_NAME = "landing_table_git_job"
LANDING_OP = "write_landing_schemas"


class StagingRepositoryResource(dg.ConfigurableResource):
    """The git repository of downstream models that receives the schema files.

    Without ``path``, a local repository under ``$DAGSTER_HOME/local/staging-models``.
    """

    path: str = ""
    models_dir: str = "models/staging"
    push: bool = False
    author: str = "dataloader <dataloader@localhost>"

    def root(self) -> Path:
        return Path(self.path) if self.path else state_dir("staging-models")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(self.root()), *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise dg.Failure(
                description=f"git {args[0]} failed in {self.root()}: {result.stderr.strip()}"
            )
        return result.stdout

    def ensure_repository(self) -> None:
        """Create the repository if the folder has none (the local default)."""
        if not (self.root() / ".git").exists():
            self.root().mkdir(parents=True, exist_ok=True)
            self.git("init", "--quiet")


class LandingSchemasConfig(dg.Config):
    config_ids: list[int]


def schema_document(table: TableControl, columns: list[tuple[str, str]]) -> dict:
    """A dbt sources file describing one landed table."""
    return {
        "version": 2,
        "sources": [
            {
                "name": table.destination_schema_name,
                "database": table.destination_catalog,
                "schema": table.destination_schema_name,
                "tables": [
                    {
                        "name": table.destination_table_name,
                        "description": f"Landed by the dataloader from {table.control_key} "
                        f"({table.db_type} {table.source_schema_name}."
                        f"{table.source_table_name}, {table.load_strategy} load).",
                        "meta": {"control_key": table.control_key, "config_id": table.config_id},
                        "columns": [
                            {"name": name, "data_type": data_type} for name, data_type in columns
                        ],
                    }
                ],
            }
        ],
    }


@dg.op(name=LANDING_OP)
def write_landing_schemas(
    context: dg.OpExecutionContext,
    config: LandingSchemasConfig,
    lakebase: LakebaseResource,
    databricks_rest: DestinationCatalogResource,
    staging_repository: StagingRepositoryResource,
) -> dg.Output[list[str]]:
    client = lakebase.get_client()
    staging_repository.ensure_repository()
    root = staging_repository.root()
    written: list[str] = []
    processed: list[int] = []
    for config_id in config.config_ids:
        table = client.get_table(config_id)
        if table is None or table.staging_model_processed:
            continue
        try:
            columns = databricks_rest.describe_table(
                table.destination_catalog,
                table.destination_schema_name,
                table.destination_table_name,
            )
        except Exception as exc:  # one unreadable table must not block the others
            context.log.error(f"{table.control_key}: cannot read its schema: {exc}")
            continue
        relative = (
            Path(staging_repository.models_dir)
            / table.destination_catalog
            / table.destination_schema_name
            / f"{table.destination_table_name}.yml"
        )
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(schema_document(table, columns), sort_keys=False))
        written.append(str(relative))
        processed.append(config_id)
    if written:
        staging_repository.git("add", "--", *written)
        if staging_repository.git("status", "--porcelain", "--", *written).strip():
            staging_repository.git(
                "-c",
                f"user.name={staging_repository.author.split(' <')[0]}",
                "-c",
                f"user.email={staging_repository.author.split('<')[-1].rstrip('>')}",
                "commit",
                "--quiet",
                "-m",
                f"Add staging schemas for {len(written)} landed table(s)",
                "--",
                *written,
            )
        if staging_repository.push:
            staging_repository.git("push", "--quiet")
    client.mark_staging_processed(processed)
    context.log.info(f"wrote {len(written)} schema file(s): {', '.join(written) or 'none'}")
    return dg.Output(written, metadata={"files": written, "tables": len(processed)})


@dg.job(name=LANDING_JOB_NAME, description="Writes and commits schema files for landed tables.")
def landing_table_git_job() -> None:
    write_landing_schemas()
