"""Fixtures: the Django and Fireant simulators over real HTTP, resources that reach them,
a catalogue state in a temp folder and a clock the tests move."""

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType

from report_simulators import (
    DEFAULT_API_KEY,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DjangoSimulator,
    FireantSimulator,
    FireantSimulatorOptions,
    SimulatorControl,
    sample_catalogue,
    serve_in_thread,
)
from reports.assets.processing import PROCESSING_ASSETS
from reports.catalogue_state import CatalogueState
from reports.io_manager import ReportRunIOManager
from reports.resources import DjangoApiResource, FabricStorageResource, FireantResource
from reports.runs import DUE_AT_TAG
from reports.scheduling.tick import CURSOR_KEY, CatchupLimits
from reports.scheduling.trigger import TriggerSettings
from reports.testing import ManualClock

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Simulators:
    django_url: str
    fireant_url: str
    django: SimulatorControl
    fireant: SimulatorControl


@pytest.fixture(scope="session")
def simulators() -> Iterator[Simulators]:
    django_app = DjangoSimulator().app
    fireant_app = FireantSimulator(FireantSimulatorOptions(job_seconds=0.3)).app
    with serve_in_thread(django_app) as django_url, serve_in_thread(fireant_app) as fireant_url:
        yield Simulators(
            django_url, fireant_url, SimulatorControl(django_url), SimulatorControl(fireant_url)
        )


@pytest.fixture
def sims(simulators: Simulators) -> Simulators:
    """The session's simulators, reset: sample catalogue, no faults, jobs that finish."""
    simulators.django.replace_catalogue(sample_catalogue())
    for control in (simulators.django, simulators.fireant):
        control.set_faults(latency_seconds=0, failure_rate=0, fail_next=0, hang_next=0)
    simulators.fireant.set_fireant_options(job_seconds=0.3, fail_jobs=False, never_complete=False)
    return simulators


@pytest.fixture
def django_api(sims: Simulators, monkeypatch: pytest.MonkeyPatch) -> DjangoApiResource:
    monkeypatch.setenv("DJANGO_PASSWORD", DEFAULT_PASSWORD)
    return DjangoApiResource(
        base_url=sims.django_url,
        username=DEFAULT_USERNAME,
        password=dg.EnvVar("DJANGO_PASSWORD"),
        timeout_seconds=5,
        max_retries=1,
    )


@pytest.fixture
def fireant_api(sims: Simulators, monkeypatch: pytest.MonkeyPatch) -> FireantResource:
    monkeypatch.setenv("FIREANT_API_KEY", DEFAULT_API_KEY)
    return FireantResource(
        base_url=sims.fireant_url,
        api_key=dg.EnvVar("FIREANT_API_KEY"),
        timeout_seconds=5,
        max_retries=1,
        max_poll_attempts=40,
        poll_interval_seconds=0.1,
    )


@pytest.fixture
def fabric_storage(tmp_path: Path) -> FabricStorageResource:
    return FabricStorageResource(local_folder=str(tmp_path / "fabric"))


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """An in-memory instance: SQL run storage (run keys, cursors) without files. Entered, so
    definitions built in the test read its defs-state storage, never one a disposed instance
    of an earlier test left current."""
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture(scope="module")
def _persistent_instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def persistent_instance(_persistent_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """An instance on disk (schedule contexts reach theirs through a reference), wiped.

    Module-scoped: while it is open it is the process's current defs-state storage, which
    must not outlive the tests that use it.
    """
    _persistent_instance.wipe()
    _persistent_instance.run_storage.set_cursor_values({CURSOR_KEY: ""})
    return _persistent_instance


@pytest.fixture
def state(tmp_path: Path) -> CatalogueState:
    return CatalogueState(
        "ReportCatalogue",
        DefsStateManagementType.LOCAL_FILESYSTEM,
        PROJECT_ROOT,
        tmp_path / "state",
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def trigger(state: CatalogueState, clock: ManualClock) -> TriggerSettings:
    return TriggerSettings(
        state=state,
        limits=CatchupLimits(max_catchup=dt.timedelta(hours=6), max_runs_per_report=3),
        status=dg.DefaultSensorStatus.RUNNING,
        clock=clock,
    )


ReportRun = Callable[..., dg.ExecuteInProcessResult]


@pytest.fixture
def report_run(
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    fireant_api: FireantResource,
    fabric_storage: FabricStorageResource,
    tmp_path: Path,
) -> ReportRun:
    """Materialize ``selection`` of one report's assets for one due time, as a report run
    does; ``resources`` replace the simulators' ones."""

    def run(
        report_id: int,
        due: dt.datetime,
        selection: Sequence[dg.AssetsDefinition] = PROCESSING_ASSETS,
        **resources: Any,
    ) -> dg.ExecuteInProcessResult:
        instance.add_dynamic_partitions("reports", [str(report_id)])
        return dg.materialize(
            PROCESSING_ASSETS,
            selection=selection,
            partition_key=str(report_id),
            instance=instance,
            tags={DUE_AT_TAG: due.isoformat()},
            raise_on_error=False,
            resources={
                "django_api": django_api,
                "fireant_api": fireant_api,
                "fabric_storage": fabric_storage,
                "io_manager": ReportRunIOManager(base_dir=str(tmp_path / "runs")),
                **resources,
            },
        )

    return run
