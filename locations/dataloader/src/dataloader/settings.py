"""The control plane's settings, as written in its YAML component (defaults = the spec)."""

from typing import Literal

import dagster as dg


class MasterSensorSettings(dg.Model):
    interval_seconds: int = 60
    batch_size: int = 10
    orphan_grace_minutes: int = 3  # a claim with no run after this long is given back


class LongQueuedSettings(dg.Model):
    interval_seconds: int = 600
    threshold_minutes: int = 60


class LongRunningSettings(dg.Model):
    interval_seconds: int = 600
    threshold_minutes: int = 180


class FailedMonitorSettings(dg.Model):
    interval_seconds: int = 900
    max_retries: int = 3  # the max_retries-th failure in a row flags the table for review
    backoff_minutes: float = 15  # next try after 15, 30, 60 ... minutes
    max_backoff_minutes: float = 360
    analysis_attempts: int = 3  # retry analysis runs per failure, if they fail


class LandingMonitorSettings(dg.Model):
    interval_seconds: int = 1800
    repository_path: str = ""  # working copy for schema files; default under DAGSTER_HOME
    models_dir: str = "models/staging"
    branch: str = "main"


class RetryAdvisorSettings(dg.Model):
    kind: Literal["auto", "rules", "llm"] = "auto"  # auto: rules locally, llm elsewhere
    model: str = "databricks-meta-llama-3-3-70b-instruct"


class DatabricksSettings(dg.Model):
    scripts_path: str = "/Workspace/Repos/dataloader/pipes"
    timeout_seconds: int = 10_800
    wheels: list[str] = []


ComputeBackend = Literal["auto", "subprocess", "databricks"]
