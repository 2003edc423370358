"""The whole flow, once per scheduling approach, as `dg dev` runs it.

A temp ``DAGSTER_HOME`` and a Dagster instance on disk per test; the location's definitions
built by the ``ReportsOrchestrator`` component in local mode (the Django and Fireant
simulators start at first use, as child processes over HTTP, one pair for the module;
results go to a local Delta folder); the
discovery sensor writes the catalogue state and the definitions are rebuilt from it (a
code-location reload); the approach's trigger is evaluated tick by tick with a manual
clock, and every run it requests is executed with the request's job, partition, run key
and tags. What is checked is what landed: result rows per (report, due time), Django job
records, Fireant submissions.
"""

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
from dagster.components.core.component_tree import ComponentTree

import reports.components.reports_orchestrator as orchestrator_module
from report_simulators import EVENT_GROUPS, SimulatorControl
from reports.catalogue_state import CatalogueState, write_catalogue
from reports.components import ReportsOrchestrator
from reports.local_simulators import ensure_local_simulators, stop_local_simulators
from reports.runs import DUE_AT_TAG, REPORT_ID_TAG, RUN_KEY_TAG
from reports.scheduling.trigger import TriggerSettings
from reports.sensors.discovery import build_discovery_sensor
from reports.testing import ManualClock

pytestmark = pytest.mark.integration

APPROACHES = ["sensor", "schedule", "pipeline"]
TRIGGERS = {
    "sensor": "report_cron_sensor",
    "schedule": "unified_report_schedule",
    "pipeline": "report_pipeline_sensor",
}
# Every approach evaluates every five minutes here: the sensor every 60 s of the clock,
# the schedule and the pipeline sensor on "*/5 * * * *" looking back 300 s.
ENV = {
    "CRON_SENSOR_INTERVAL_SECONDS": "60",
    "SCHEDULE_CRON_EXPRESSION": "*/5 * * * *",
    "SCHEDULE_INTERVAL_SECONDS": "300",
    "DISCOVERY_SENSOR_INTERVAL_SECONDS": "60",
    "FIREANT_SIM_JOB_SECONDS": "0",
    "MAX_RETRIES": "1",
}
# When each approach evaluates 10:00, 10:05 and 10:10: the sensor 30 s after (its clock),
# the schedule at the scheduled time, the pipeline sensor on its first poll after it.
TICKS = {
    "sensor": ("10:00:30", "10:05:30", "10:10:30"),
    "schedule": ("10:00:00", "10:05:00", "10:10:00"),
    "pipeline": ("10:00:10", "10:05:10", "10:10:10"),
}
CATALOGUE = [
    {"id": 1, "name": "every five", "cron": "*/5 * * * *", "active": True, "event_group": 1},
    {"id": 2, "name": "every ten", "cron": "*/10 * * * *", "active": True, "event_group": 2},
    {"id": 3, "name": "hourly", "cron": "0 * * * *", "active": True, "event_group": 3},
    {"id": 7, "name": "bad cron", "cron": "61 * * * *", "active": True, "event_group": 1},
]
NEW_REPORT = {"name": "new", "cron": "*/10 * * * *", "active": True, "event_group": 1}
EVENT_GROUP_OF = {entry["id"]: entry["event_group"] for entry in CATALOGUE} | {4: 1}


@dataclass
class Location:
    """One test's reports location: instance, catalogue state, results; reloaded like a
    code server."""

    folder: Path
    instance: dg.DagsterInstance
    clock: ManualClock
    monkeypatch: pytest.MonkeyPatch
    approach: str = "sensor"
    day: str = "2024-01-01"  # one day per test: Fireant keys (report, due time) module-wide
    defs: dg.Definitions = field(default_factory=dg.Definitions)
    executed: list[str] = field(default_factory=list)
    baseline: tuple[int, Counter[int]] = (0, Counter())  # the simulators' counts before

    def reload(self, approach: str | None = None) -> None:
        """Build the definitions from the stored catalogue, as a code-location reload does."""
        self.approach = approach or self.approach
        self.monkeypatch.setenv("SCHEDULING_APPROACH", self.approach)
        local = {"poll_interval_seconds": 0.01, "results_folder": str(self.folder / "fabric")}
        component = ReportsOrchestrator.model_validate({"local": local})
        catalogue = self.state().read(self.instance)
        path = None
        if catalogue is not None:  # as Dagster hands the stored version to a code server
            path = self.folder / "loaded_state"
            write_catalogue(catalogue, path)
        self.defs = component.build_defs_from_state(ComponentTree.for_test().load_context, path)

    @property
    def repository(self) -> dg.RepositoryDefinition:
        return self.defs.get_repository_def()

    def evaluate(self, sensor_name: str) -> dg.SensorResult:
        """One tick of a sensor, given what the daemon gives it: instance and resources."""
        context = dg.build_sensor_context(
            instance=self.instance,
            repository_def=self.repository,
            resources=self.repository.get_top_level_resources(),
        )
        result = self.repository.get_sensor_def(sensor_name)(context)
        assert isinstance(result, dg.SensorResult)
        return result

    def state(self) -> CatalogueState:
        component = ReportsOrchestrator.model_validate({})
        config = component.defs_state_config
        return CatalogueState(config.key, config.management_type, Path())

    def discover(self) -> None:
        """One tick of the discovery sensor, its partition requests applied like the daemon."""
        result = self.evaluate("daily_report_discovery_sensor")
        for request in result.dynamic_partitions_requests or []:
            keys = list(request.partition_keys)
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions(request.partitions_def_name, keys)
            else:
                for key in keys:
                    self.instance.delete_dynamic_partition(request.partitions_def_name, key)

    def tick(self, at: str) -> list[tuple[int, str]]:
        """Evaluate the approach's trigger at ``at`` and execute every run it requests."""
        when = dt.datetime.fromisoformat(f"{self.day}T{at}").replace(tzinfo=dt.UTC)
        self.clock.now = when
        name = TRIGGERS[self.approach]
        if self.approach == "schedule":
            schedule = self.repository.get_schedule_def(name)
            # Entered: the context opens its own instance from the reference and makes
            # that instance's defs-state storage current until the context closes (left
            # open, a later load read the storage of an instance disposed meanwhile).
            with dg.build_schedule_context(
                instance=self.instance, scheduled_execution_time=when
            ) as context:
                outcome = schedule(context)
            requests = outcome if isinstance(outcome, list) else []
            target_job = schedule.job_name
        else:
            requests = list(self.evaluate(name).run_requests or [])
            sensor = self.repository.get_sensor_def(name)
            target_job = sensor.job_name if self.approach == "sensor" else None
        ran = []
        for request in requests:
            job_name = request.job_name or target_job
            assert job_name, f"run request {request.run_key} names no job"
            result = self.repository.get_job(job_name).execute_in_process(
                instance=self.instance,
                partition_key=request.partition_key,
                tags={**request.tags, RUN_KEY_TAG: str(request.run_key)},
                raise_on_error=False,
            )
            assert result.success, f"run {request.run_key} in {job_name} failed"
            self.executed.append(job_name)
            ran.append((int(request.tags[REPORT_ID_TAG]), request.tags[DUE_AT_TAG]))
        return sorted(ran)

    def due(self, report_id: int, hhmm: str) -> tuple[int, str]:
        return report_id, f"{self.day}T{hhmm}:00+00:00"

    def results(self) -> Counter[tuple[int, str]]:
        """Runs that stored each (report, due time) in the Delta table (distinct run ids)."""
        from deltalake import DeltaTable

        folder = self.folder / "fabric" / "report_results"
        if not folder.exists():
            return Counter()
        table = DeltaTable(str(folder)).to_pyarrow_table(
            columns=["report_id", "due_time", "run_id"]
        )
        runs = {
            (row["report_id"], row["due_time"].isoformat(), row["run_id"])
            for row in table.to_pylist()
        }
        return Counter((report_id, due_time) for report_id, due_time, _ in runs)

    def rows(self, report_id: int, due_time: str) -> int:
        from fabric_store import FabricStore, local_location

        store = FabricStore(local_location(self.folder / "fabric" / "report_results"))
        return len(store.read_report_results(report_id, dt.datetime.fromisoformat(due_time)))


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One DAGSTER_HOME and one pair of simulators (as `dg dev` starts them) for the module."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home))
        env.delenv("DAGSTER_ENVIRONMENT", raising=False)
        for name, value in ENV.items():
            env.setenv(name, value)
        try:
            ensure_local_simulators()
            yield home
        finally:
            stop_local_simulators()


@pytest.fixture
def location(
    dagster_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Location]:
    """A fresh instance, catalogue and results table; the location loaded after discovery."""
    # The catalogue state is kept as a deploy keeps it: in the instance's defs-state storage
    # (this test's instance). The triggers read the test's clock; each discovery tick comes
    # after the discovery interval, so it lists the API.
    clock = ManualClock()
    monkeypatch.setattr(
        orchestrator_module, "TriggerSettings", functools.partial(TriggerSettings, clock=clock)
    )
    monkeypatch.setattr(
        orchestrator_module,
        "build_discovery_sensor",
        functools.partial(
            build_discovery_sensor, clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        ),
    )
    django().replace_catalogue(CATALOGUE)
    (tmp_path / "instance").mkdir()
    # DAGSTER_HOME stays the module's: the simulators are recorded there
    with dg.instance_for_test(
        temp_dir=str(tmp_path / "instance"), set_dagster_home=False
    ) as instance:
        location = Location(tmp_path, instance, clock, monkeypatch)
        location.baseline = (fireant_submissions(), job_records())
        location.reload()
        location.discover()  # the daemon's first discovery tick ...
        location.reload()  # ... and the reload that shows its reports
        yield location


def django() -> SimulatorControl:
    return SimulatorControl(ensure_local_simulators().django_url)


def fireant_submissions() -> int:
    return int(SimulatorControl(ensure_local_simulators().fireant_url).state()["submissions"])


def job_records() -> Counter[int]:
    """Django job records per report (the simulators serve the whole module), all completed."""
    from django_api import DjangoAPIClient
    from report_simulators import DEFAULT_PASSWORD, DEFAULT_USERNAME

    with DjangoAPIClient(
        ensure_local_simulators().django_url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD
    ) as api:
        jobs = api.find_jobs()
    assert {job.status for job in jobs} <= {"completed"}
    return Counter(job.report_id for job in jobs)


def assert_ran_once(location: Location, expected: list[tuple[int, str]]) -> None:
    """Each expected (report, due time) ran once: one run's rows, one job record, one submission."""
    assert location.results() == Counter(expected)
    for report_id, due_time in expected:
        events = EVENT_GROUPS[EVENT_GROUP_OF[report_id]]["events"]
        assert location.rows(report_id, due_time) == len(events)  # one row per event
    submissions, records = location.baseline
    assert job_records() - records == Counter(report_id for report_id, _ in expected)
    assert fireant_submissions() - submissions == len(expected)


@pytest.mark.parametrize("approach", APPROACHES)
def test_every_due_report_runs_once_and_the_catalogue_follows_django(
    location: Location, approach: str
) -> None:
    location.day = f"2024-01-0{APPROACHES.index(approach) + 1}"
    due = location.due
    location.reload(approach)
    first, second, third = TICKS[approach]
    assert location.tick(first) == [due(1, "10:00"), due(2, "10:00"), due(3, "10:00")]
    assert location.tick(second) == [due(1, "10:05")]
    assert location.tick(second) == []  # the same tick again adds nothing
    if approach == "pipeline":
        assert location.executed == [
            "process_report_1",
            "process_report_2",
            "process_report_3",
            "process_report_1",
        ]

    # Django gains report 4 and loses report 2; discovery stores it, the location reloads
    django().put_report(4, **NEW_REPORT)
    django().remove_report(2)
    location.discover()
    location.reload()
    if approach == "pipeline":
        jobs = {job.name for job in location.repository.get_all_jobs()}
        assert "process_report_4" in jobs and "process_report_2" not in jobs
    assert location.tick(third) == [due(1, "10:10"), due(4, "10:10")]  # not 2, removed
    if approach == "pipeline":
        assert location.executed[-2:] == ["process_report_1", "process_report_4"]

    assert_ran_once(
        location,
        [
            due(1, "10:00"),
            due(2, "10:00"),
            due(3, "10:00"),
            due(1, "10:05"),
            due(1, "10:10"),
            due(4, "10:10"),
        ],
    )


def test_switching_approach_neither_repeats_nor_misses(location: Location) -> None:
    location.day = "2024-01-05"
    due = location.due
    location.reload("sensor")
    assert location.tick("10:00:30") == [due(1, "10:00"), due(2, "10:00"), due(3, "10:00")]
    assert location.tick("10:01:30") == []
    location.reload("schedule")
    assert location.tick("10:05:00") == [due(1, "10:05")]  # 10:00 is rechecked, not repeated
    location.reload("pipeline")
    assert location.tick("10:05:40") == []  # 10:05 was evaluated by the schedule
    assert location.tick("10:10:10") == [due(1, "10:10"), due(2, "10:10")]
    location.reload("sensor")
    assert location.tick("10:11:00") == []
    assert location.tick("10:15:30") == [due(1, "10:15")]
    expected = [
        due(1, "10:00"),
        due(2, "10:00"),
        due(3, "10:00"),
        due(1, "10:05"),
        due(1, "10:10"),
        due(2, "10:10"),
        due(1, "10:15"),
    ]
    assert_ran_once(location, expected)
    by_job = Counter(location.executed)
    assert by_job == {"process_report_job": 5, "process_report_1": 1, "process_report_2": 1}
