"""``DataloaderControlPlane``: the five sensors, two assets, git job and their resources.

One YAML instance (``defs/control_plane/defs.yaml``) holds every interval, threshold, batch
size and the compute back-end; the resources' implementations follow
``DAGSTER_ENVIRONMENT`` (local stand-ins when unset).
"""

from typing import Literal

import dagster as dg

from dataloader.assets.retry_analysis import RetryAdvisorResource, dataloader_retry_analysis
from dataloader.assets.table_load import dataloader_table_load
from dataloader.jobs.landing_table_git import StagingRepositoryResource, landing_table_git_job
from dataloader.resources.catalog import DestinationCatalogResource
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource, LocalLakebaseResource
from dataloader.sensors.failed import build_failed_monitor
from dataloader.sensors.landing_table import build_landing_table_monitor
from dataloader.sensors.longqueued import build_longqueued_monitor
from dataloader.sensors.longrunning import build_longrunning_monitor
from dataloader.sensors.master import build_master_sensor
from dataloader.sensors.run_outcomes import build_run_outcome_sensors
from dataloader.settings import (
    ComputeBackend,
    DatabricksSettings,
    FailedMonitorSettings,
    LandingMonitorSettings,
    LongQueuedSettings,
    LongRunningSettings,
    MasterSensorSettings,
    RetryAdvisorSettings,
)
from platform_config import Environment, current_environment


class DataloaderControlPlane(dg.Component, dg.Model, dg.Resolvable):
    """The Lakebase-driven load orchestration of the dataloader."""

    compute: ComputeBackend = "auto"
    sensors_running: bool = True
    local_postgres_port: int = 54320
    master_sensor: MasterSensorSettings = MasterSensorSettings()
    longqueued_monitor: LongQueuedSettings = LongQueuedSettings()
    longrunning_monitor: LongRunningSettings = LongRunningSettings()
    failed_monitor: FailedMonitorSettings = FailedMonitorSettings()
    landing_table_monitor: LandingMonitorSettings = LandingMonitorSettings()
    retry_advisor: RetryAdvisorSettings = RetryAdvisorSettings()
    databricks: DatabricksSettings = DatabricksSettings()

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        environment = current_environment()
        status = (
            dg.DefaultSensorStatus.RUNNING
            if self.sensors_running
            else dg.DefaultSensorStatus.STOPPED
        )
        return dg.Definitions(
            assets=[dataloader_table_load, dataloader_retry_analysis],
            jobs=[landing_table_git_job],
            sensors=[
                build_master_sensor(self.master_sensor, status),
                build_longqueued_monitor(self.longqueued_monitor, status),
                build_longrunning_monitor(self.longrunning_monitor, status),
                build_failed_monitor(self.failed_monitor, status),
                build_landing_table_monitor(self.landing_table_monitor, status),
                *build_run_outcome_sensors(status),
            ],
            resources=self.resources(environment),
        )

    def compute_backend(self, environment: Environment) -> Literal["subprocess", "databricks"]:
        if self.compute == "auto":
            return "subprocess" if environment.is_local else "databricks"
        return self.compute

    def resources(self, environment: Environment) -> dict[str, object]:
        """Resource implementations for ``environment``; the keys never change."""
        local = environment.is_local
        retries = {
            "max_retries": self.failed_monitor.max_retries,
            "backoff_minutes": self.failed_monitor.backoff_minutes,
            "max_backoff_minutes": self.failed_monitor.max_backoff_minutes,
        }
        if local:
            lakebase: LakebaseResource = LocalLakebaseResource(
                port=self.local_postgres_port, **retries
            )
        else:
            lakebase = LakebaseResource(
                host=dg.EnvVar("LAKEBASE_HOST"),
                port=dg.EnvVar.int("LAKEBASE_PORT"),
                database=dg.EnvVar("LAKEBASE_DATABASE"),
                user=dg.EnvVar("LAKEBASE_USER"),
                password=dg.EnvVar("LAKEBASE_PASSWORD"),
                sslmode="require",
                **retries,
            )
        backend = self.compute_backend(environment)
        if backend == "databricks":
            compute = PipesComputeResource(
                backend="databricks",
                workspace_url=dg.EnvVar("DATABRICKS_WORKSPACE_URL"),
                token=dg.EnvVar("DATABRICKS_TOKEN"),
                cluster_id=dg.EnvVar("DATABRICKS_CLUSTER_ID"),
                scripts_path=self.databricks.scripts_path,
                timeout_seconds=self.databricks.timeout_seconds,
                wheels=self.databricks.wheels,
            )
        else:
            compute = PipesComputeResource(backend="subprocess")
        catalog = (
            DestinationCatalogResource(backend="local")
            if local
            else DestinationCatalogResource(
                backend="databricks",
                server_hostname=dg.EnvVar("DATABRICKS_WORKSPACE_URL"),
                http_path=dg.EnvVar("DATABRICKS_SQL_HTTP_PATH"),
                token=dg.EnvVar("DATABRICKS_TOKEN"),
            )
        )
        kind = self.retry_advisor.kind
        if kind == "auto":
            kind = "rules" if local else "llm"
        advisor = RetryAdvisorResource(
            kind=kind,
            endpoint_url=dg.EnvVar("RETRY_ADVISOR_ENDPOINT") if kind == "llm" else None,
            model=self.retry_advisor.model,
        )
        landing = self.landing_table_monitor
        repository = StagingRepositoryResource(
            path=landing.repository_path,
            remote_url="" if local else dg.EnvVar("STAGING_REPOSITORY_URL"),
            branch=landing.branch,
            models_dir=landing.models_dir,
        )
        return {
            "lakebase": lakebase,
            "pipes_databricks": compute,
            "databricks_rest": catalog,
            "retry_advisor": advisor,
            "staging_repository": repository,
        }
