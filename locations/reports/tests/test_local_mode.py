"""Local mode: nothing starts while definitions load; the first use starts the simulators,
which every later process finds and reuses."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster.components.core.component_tree import ComponentTree

from reports.catalogue_state import CatalogueState
from reports.components import ReportsOrchestrator
from reports.local_simulators import ensure_local_simulators, stop_local_simulators
from reports.resources import DjangoApiResource, FireantResource
from reports.sensors.discovery import build_discovery_sensor

pytestmark = pytest.mark.integration


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("DAGSTER_ENVIRONMENT", raising=False)
    try:
        yield tmp_path
    finally:
        stop_local_simulators()


def test_simulators_start_at_first_use_not_at_load(
    dagster_home: Path, state: CatalogueState
) -> None:
    record = dagster_home / "local" / "reports-simulators" / "servers.json"
    component = ReportsOrchestrator.model_validate({"scheduling_approach": "sensor"})
    definitions = component.build_defs_from_state(ComponentTree.for_test().load_context, None)
    resources = definitions.resources or {}
    assert isinstance(resources["django_api"], DjangoApiResource) and resources["django_api"].local
    assert not record.exists()  # loading started nothing

    sensor = build_discovery_sensor(state, 60, dg.DefaultSensorStatus.RUNNING)
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(), resources={"django_api": resources["django_api"]}
    )
    sensor(context)
    assert record.exists()
    catalogue = state.read()
    assert catalogue is not None and len(catalogue.reports) == 11

    started = ensure_local_simulators()
    assert ensure_local_simulators() == started  # a second process would reuse them
    fireant = resources["fireant_api"]
    assert isinstance(fireant, FireantResource)
    with fireant.client() as client:
        assert client.base_url == started.fireant_url
