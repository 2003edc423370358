"""``ReportsOrchestrator``: the report catalogue as a state-backed component.

Discovery (``daily_report_discovery_sensor``, or ``dg utils refresh-defs-state``) writes the
catalogue as this component's state; definitions are built from it: the report partitions'
jobs (one per report in the ``pipeline`` approach) and the trigger of the chosen approach.
After discovery stores a new catalogue, a code-location reload shows the new and removed
reports; the triggers read the stored catalogue at every tick, so cron changes apply at
once. Without state (a fresh clone), the catalogue is empty until discovery's first tick.
"""

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster.components import DefsStateConfig, DefsStateConfigArgs, ResolvedDefsStateConfig
from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType
from pydantic import Field

from platform_config import Environment, current_environment
from reports.alerts import discovery_alerter
from reports.assets.processing import PROCESSING_ASSETS
from reports.catalogue import Catalogue
from reports.catalogue_state import CatalogueState, parse_catalogue, write_catalogue
from reports.checks.on_schedule import build_reports_on_schedule
from reports.checks.results import PROCESSING_CHECKS
from reports.dagster_internals import defs_state_storage, renamed_job
from reports.io_manager import ReportRunIOManager
from reports.logs import set_log_level
from reports.resources import DjangoApiResource, FabricStorageResource, FireantResource
from reports.schedules.unified_report import build_unified_report_schedule
from reports.scheduling.tick import CatchupLimits
from reports.scheduling.trigger import TriggerSettings
from reports.sensors.discovery import build_discovery_sensor, discover_catalogue
from reports.sensors.report_cron import build_report_cron_sensor
from reports.sensors.report_pipeline import build_report_pipeline_sensor, report_job_name
from reports.sensors.report_run_outcome import build_report_run_outcome_sensors
from reports.settings import ReportsSettings, SchedulingApproach, load_reports_settings
from run_lifecycle import max_runtime_tags

STATE_KEY = "ReportCatalogue"
APPROACH_VARIABLE = "SCHEDULING_APPROACH"
_SETTING_FIELDS = (
    "scheduling_approach",
    "cron_sensor_interval_seconds",
    "discovery_sensor_interval_seconds",
    "schedule_cron_expression",
    "schedule_interval_seconds",
    "max_poll_attempts",
    "poll_interval_seconds",
    "max_retries",
    "timeout_seconds",
)


class LocalSettings(dg.Model):
    """Only in the local environment (``DAGSTER_ENVIRONMENT`` unset): the simulators' pace."""

    poll_interval_seconds: float = 2.0
    results_folder: str = ""  # default: $DAGSTER_HOME/local/reports-fabric


class ReportsOrchestrator(dg.StateBackedComponent, dg.Model, dg.Resolvable):
    """Reports from the Django API, run on Fireant, results in Fabric.

    ``scheduling_approach`` here is the source of truth that "Reload definitions" picks up;
    ``SCHEDULING_APPROACH`` applies only when this file leaves it out. Every other setting
    left out here comes from its environment variable (``CRON_SENSOR_INTERVAL_SECONDS``,
    ...), else from the ``APP_ENV`` defaults; such a variable that is set wins over this file.
    """

    scheduling_approach: SchedulingApproach | None = None
    cron_sensor_interval_seconds: int | None = None
    discovery_sensor_interval_seconds: int | None = None
    schedule_cron_expression: str | None = None
    schedule_interval_seconds: int | None = None
    max_poll_attempts: int | None = None
    poll_interval_seconds: float | None = None
    max_retries: int | None = None
    timeout_seconds: float | None = None
    catchup_window_seconds: int = 86_400
    max_catchup_runs_per_report: int = 5
    max_run_requests_per_tick: int = Field(default=1000, ge=1)
    sensors_running: bool = True
    alert_channel: str = "#reports-alerts"
    late_after_minutes: int = 30  # a report without results this long after a due time is late
    local: LocalSettings = LocalSettings()
    defs_state: ResolvedDefsStateConfig = DefsStateConfigArgs(
        management_type=DefsStateManagementType.VERSIONED_STATE_STORAGE, refresh_if_dev=False
    )

    @property
    def defs_state_config(self) -> DefsStateConfig:
        return DefsStateConfig.from_args(self.defs_state, default_key=STATE_KEY)

    def settings(self, environ: Mapping[str, str] | None = None) -> ReportsSettings:
        yaml_values = {name: getattr(self, name) for name in _SETTING_FIELDS}
        env = dict(os.environ if environ is None else environ)
        if self.scheduling_approach is not None:
            env = {key: value for key, value in env.items() if key.upper() != APPROACH_VARIABLE}
        return load_reports_settings(env, yaml_values)

    def approach_note(self, settings: ReportsSettings) -> str:
        """Which approach is active and what chose it, for the UI's descriptions."""
        if self.scheduling_approach is not None:
            source = "scheduling_approach in defs/reports/defs.yaml"
        elif any(key.upper() == APPROACH_VARIABLE for key in os.environ):
            source = f"{APPROACH_VARIABLE} (defs.yaml leaves scheduling_approach out)"
        else:
            source = "the default"
        return f"Active scheduling approach: {settings.scheduling_approach.value} (from {source})."

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """Definitions from the stored catalogue; loaded outside any Dagster instance (a plain
        import of the definitions, no ``DAGSTER_HOME`` storage at hand), the catalogue is
        empty rather than the load failing."""
        versioned = (
            self.defs_state_config.management_type
            == DefsStateManagementType.VERSIONED_STATE_STORAGE
        )
        if versioned and defs_state_storage(None) is None:
            return self.build_defs_from_state(context, state_path=None)
        return super().build_defs(context)

    def write_state_to_path(self, state_path: Path) -> None:
        """``dg utils refresh-defs-state``: the catalogue as the Django API lists it now."""
        django = self.resources(current_environment(), self.settings())["django_api"]
        write_catalogue(discover_catalogue(django), state_path)

    def build_defs_from_state(
        self, context: dg.ComponentLoadContext, state_path: Path | None
    ) -> dg.Definitions:
        environment = current_environment()
        settings = self.settings()
        if not environment.is_local:
            settings.require_production_credentials()
        set_log_level(settings.log_level)
        catalogue = parse_catalogue(state_path) if state_path else Catalogue()
        status = (
            dg.DefaultSensorStatus.RUNNING
            if self.sensors_running
            else dg.DefaultSensorStatus.STOPPED
        )
        state = CatalogueState(
            self.defs_state_config.key, self.defs_state_config.management_type, context.project_root
        )
        trigger = TriggerSettings(
            state=state,
            limits=CatchupLimits(
                max_catchup=_seconds(self.catchup_window_seconds),
                max_runs_per_report=self.max_catchup_runs_per_report,
                max_run_requests_per_tick=self.max_run_requests_per_tick,
            ),
            status=status,
            alert=discovery_alerter(self.alert_channel),
            approach_note=self.approach_note(settings),
        )
        resources = {**self.resources(environment, settings), "io_manager": ReportRunIOManager()}
        shared_job = resolved_shared_job(resources)
        jobs = [shared_job]
        sensors = [
            build_discovery_sensor(
                state,
                settings.discovery_sensor_interval_seconds,
                status,
                alert=discovery_alerter(self.alert_channel),
                approach_note=trigger.approach_note,
            ),
            *build_report_run_outcome_sensors(status),
        ]
        on_schedule, on_schedule_sensor = build_reports_on_schedule(
            catalogue.reports, dt.timedelta(minutes=self.late_after_minutes), 300, status
        )
        sensors.append(on_schedule_sensor)
        schedules = []
        approach = settings.scheduling_approach
        if approach is SchedulingApproach.SENSOR:
            sensors.append(
                build_report_cron_sensor(
                    trigger, shared_job.name, settings.cron_sensor_interval_seconds
                )
            )
        elif approach is SchedulingApproach.SCHEDULE:
            schedules.append(
                build_unified_report_schedule(
                    trigger,
                    shared_job.name,
                    settings.schedule_cron_expression,
                    settings.schedule_interval_seconds,
                )
            )
        else:
            jobs += report_jobs(shared_job, catalogue)
            sensors.append(
                build_report_pipeline_sensor(
                    trigger,
                    jobs,
                    [entry.report_id for entry in catalogue.reports],
                    settings.schedule_cron_expression,
                    settings.schedule_interval_seconds,
                )
            )
        return dg.Definitions(
            assets=PROCESSING_ASSETS,
            asset_checks=[*PROCESSING_CHECKS, on_schedule],
            jobs=jobs,
            sensors=sensors,
            schedules=schedules,
            resources=resources,
            metadata={
                "reports/scheduling_approach": approach.value,
                "reports/catalogue_size": len(catalogue.reports),
            },
        )

    def resources(self, environment: Environment, settings: ReportsSettings) -> dict[str, Any]:
        """The same keys in every environment; local ones reach the simulators."""
        http = {"timeout_seconds": settings.timeout_seconds, "max_retries": settings.max_retries}
        if environment.is_local:
            return {
                "django_api": DjangoApiResource(local=True, **http),
                "fireant_api": FireantResource(
                    local=True,
                    max_poll_attempts=settings.max_poll_attempts,
                    poll_interval_seconds=self.local.poll_interval_seconds,
                    **http,
                ),
                "fabric_storage": FabricStorageResource(local_folder=self.local.results_folder),
            }
        django_auth: dict[str, Any] = (
            {"jwt_token": dg.EnvVar("DJANGO_JWT_TOKEN")}
            if settings.django_jwt_token is not None
            else {"username": settings.django_username, "password": dg.EnvVar("DJANGO_PASSWORD")}
        )
        return {
            "django_api": DjangoApiResource(
                base_url=settings.django_api_url, **django_auth, **http
            ),
            "fireant_api": FireantResource(
                base_url=settings.fireant_api_url,
                api_key=dg.EnvVar("FIREANT_API_KEY"),
                max_poll_attempts=settings.max_poll_attempts,
                poll_interval_seconds=settings.poll_interval_seconds,
                **http,
            ),
            "fabric_storage": FabricStorageResource(
                workspace_id=settings.fabric_workspace_id,
                tenant_id=settings.azure_tenant_id,
                client_id=settings.azure_client_id,
                client_secret=dg.EnvVar("AZURE_CLIENT_SECRET"),
                account_name=settings.azure_account_name or "onelake",
                lakehouse=settings.fabric_lakehouse_id or "reports.Lakehouse",
            ),
        }


def _seconds(value: int) -> Any:
    import datetime as dt

    return dt.timedelta(seconds=value)


def resolved_shared_job(resources: dict[str, Any]) -> dg.JobDefinition:
    """``process_report_job``: the five assets for one report (the partition) and one due time,
    resolved against the asset graph once, so the per-report jobs can share it.

    The assets form a chain, so the run executes them in its own process, one after the
    other: a process per step (the default executor) would only add four interpreter
    start-ups to every run.
    """
    job = dg.define_asset_job(
        "process_report_job",
        selection=dg.AssetSelection.assets(*PROCESSING_ASSETS),
        description="Processes one report (the partition) for one due time.",
        executor_def=dg.in_process_executor,
        # Fireant is polled up to 120 times a minute apart (prod): the run's own limit is
        # that plus the submit and the Fabric write.
        tags=max_runtime_tags(150 * 60, "process_report_job"),
    )
    definitions = dg.Definitions(
        assets=PROCESSING_ASSETS, asset_checks=PROCESSING_CHECKS, jobs=[job], resources=resources
    )
    return definitions.get_repository_def().get_job(job.name)


def report_jobs(shared_job: dg.JobDefinition, catalogue: Catalogue) -> list[dg.JobDefinition]:
    """``process_report_<id>`` for every report: the shared job under its own name.

    Resolving an asset job against the asset graph costs tens of milliseconds; the five
    assets are the same for every report, so each report's job is the resolved shared job
    under its own name, description and tags (a thousand reports load in about a second
    instead of about thirty).
    """
    return [
        renamed_job(
            shared_job,
            name=report_job_name(entry.report_id),
            description=f"{entry.name} (report {entry.report_id}), cron '{entry.cron}'",
            tags={"reports/report_id": str(entry.report_id)},
        )
        for entry in catalogue.reports
    ]
