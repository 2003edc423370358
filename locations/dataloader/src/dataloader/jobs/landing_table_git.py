"""``landing_table_git_job``: writes staging schema files for newly loaded tables into git.

One YAML file per table (a dbt ``sources`` entry with its columns and types) under
``<models_dir>/<catalog>/<schema>/<table>.yml``, committed in one commit. With a remote
(npd / prod: ``STAGING_REPOSITORY_URL``) the job clones or fetches it, rebases onto it and
pushes; the tables are marked ``staging_model_processed`` only once the push succeeded, so
a failed push leaves them for the next run (its commit is rebased and pushed then).
"""

import subprocess
from pathlib import Path

import dagster as dg
import yaml
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.lakebase import LakebaseResource
from lakebase import TableControl
from local_services import state_dir

LANDING_JOB_NAME = "landing_table_git_job"
LANDING_OP = "write_landing_schemas"


class GitError(Exception):
    """A git command failed; the message names the command and git's own words."""


class StagingRepositoryResource(dg.ConfigurableResource):
    """The git repository of downstream models that receives the schema files.

    ``path`` is the working copy (default: ``$DAGSTER_HOME/local/staging-models``).
    ``remote_url`` empty: a local repository only (``dg dev``). Otherwise the working copy
    is a clone of it; git's own credentials (SSH key, credential helper) authenticate.
    """

    path: str = ""
    remote_url: str = ""
    branch: str = "main"
    models_dir: str = "models/staging"
    author: str = "dataloader <dataloader@localhost>"
    push_attempts: int = 3

    def root(self) -> Path:
        return Path(self.path) if self.path else state_dir("staging-models")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", "-C", str(cwd or self.root()), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise GitError(f"git {args[0]} failed in {cwd or self.root()}: {result.stderr.strip()}")
        return result.stdout

    def _identity(self) -> list[str]:
        name, _, email = self.author.partition(" <")
        return ["-c", f"user.name={name}", "-c", f"user.email={email.rstrip('>')}"]

    def prepare(self) -> None:
        """A working copy on ``branch``, up to date with the remote (local commits that a
        failed push left behind are rebased on top)."""
        root = self.root()
        if not (root / ".git").exists():
            if self.remote_url:
                root.parent.mkdir(parents=True, exist_ok=True)
                self.git(
                    "clone",
                    "--quiet",
                    "--branch",
                    self.branch,
                    self.remote_url,
                    str(root),
                    cwd=root.parent,
                )
            else:
                root.mkdir(parents=True, exist_ok=True)
                self.git("init", "--quiet", "--initial-branch", self.branch)
            return
        if self.remote_url:
            self.git("reset", "--quiet", "--hard")  # files a crashed run left uncommitted
            self._sync_with_remote()

    def _sync_with_remote(self) -> None:
        self.git("fetch", "--quiet", "origin", self.branch)
        try:
            self.git(*self._identity(), "rebase", "--quiet", f"origin/{self.branch}")
        except GitError:
            self.git("rebase", "--abort")
            raise

    def commit(self, files: list[str], message: str) -> bool:
        """Commit ``files`` if they changed; returns whether a commit was made."""
        self.git("add", "--", *files)
        if not self.git("status", "--porcelain", "--", *files).strip():
            return False
        self.git(*self._identity(), "commit", "--quiet", "-m", message, "--", *files)
        return True

    def unpushed(self) -> int:
        """Local commits the remote does not have yet."""
        if not self.remote_url:
            return 0
        return int(self.git("rev-list", "--count", f"origin/{self.branch}..HEAD").strip())

    def publish(self) -> None:
        """Push, rebasing onto whatever was pushed meanwhile (bounded, with backoff)."""
        if not self.remote_url:
            return
        for attempt in Retrying(
            retry=retry_if_exception_type(GitError),
            stop=stop_after_attempt(self.push_attempts),
            wait=wait_exponential(multiplier=0.5, max=5),
            reraise=True,
        ):
            with attempt:
                self._sync_with_remote()
                self.git("push", "--quiet", "origin", f"HEAD:{self.branch}")


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
    repository = staging_repository
    try:
        repository.prepare()
    except GitError as exc:
        raise dg.Failure(description=str(exc)) from None
    root = repository.root()
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
            Path(repository.models_dir)
            / table.destination_catalog
            / table.destination_schema_name
            / f"{table.destination_table_name}.yml"
        )
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(schema_document(table, columns), sort_keys=False))
        written.append(str(relative))
        processed.append(config_id)
    try:
        if written:
            repository.commit(written, f"Add staging schemas for {len(written)} landed table(s)")
        if repository.unpushed():
            repository.publish()
    except GitError as exc:
        # Nothing is marked processed: the next run rebases this commit and pushes it.
        raise dg.Failure(
            description=f"schema files committed locally but not published: {exc}",
            metadata={"files": written},
        ) from None
    client.mark_staging_processed(processed)
    context.log.info(f"wrote {len(written)} schema file(s): {', '.join(written) or 'none'}")
    return dg.Output(written, metadata={"files": written, "tables": len(processed)})


@dg.job(
    name=LANDING_JOB_NAME, description="Writes, commits and pushes schema files for landed tables."
)
def landing_table_git_job() -> None:
    write_landing_schemas()
