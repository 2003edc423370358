"""Fixtures for estore: dbt state prepared once, a DuckDB warehouse, two loads through dbt.

dbt runs for real (dbt-duckdb) and as few times as the assertions need: the ``two_loads``
fixture builds everything after a first load, then runs ``dbt_job`` and ``dbt_snapshot_job``
after a second, once per session.
"""

import asyncio
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml
from dagster.components.core.component_tree import ComponentTree
from dagster.components.utils.project_paths import get_local_state_path

from estore.components import EstoreDbtProject
from estore.dbt_environment import DUCKDB_PATH_VAR

LOCATION_ROOT = Path(__file__).resolve().parents[1]

Event = tuple[datetime, str, int, int, str | None, str | None, float, int, str]
"""event_time, event_type, product_id, category_id, category_code, brand, price, user_id,
user_session: the columns of estore_raw.events, in order."""

RAW_EVENTS_DDL = """
create schema if not exists estore_raw;
create table if not exists estore_raw.events (
    event_time timestamp, event_type varchar, product_id bigint, category_id bigint,
    category_code varchar, brand varchar, price double, user_id bigint, user_session varchar,
    _loaded_at timestamp
)
"""
EVENT_NAMES = (
    "event_time, event_type, product_id, category_id, category_code, brand, price, user_id, "
    "user_session"
)


def insert_events(path: Path, rows: Sequence[Event]) -> None:
    """Append rows to estore_raw.events, as a load does: by column name, stamped _loaded_at."""
    with duckdb.connect(str(path)) as con:
        con.execute(RAW_EVENTS_DDL)
        con.executemany(
            f"insert into estore_raw.events ({EVENT_NAMES}, _loaded_at) "  # noqa: S608 - constant
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
            rows,
        )


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute)


PHONE = (1001, 10, "electronics.smartphone", "acme")
OVEN = (1002, 20, "appliances.kitchen.oven", "bosco")
SHOES = (1003, 30, "apparel.shoes", None)


def event(when: datetime, kind: str, product: tuple, price: float, user: int, session: str):
    product_id, category_id, category_code, brand = product
    return (when, kind, product_id, category_id, category_code, brand, price, user, session)


# Users 1, 2, 4, 5, 6 buy; user 3 only looks.
FIRST_LOAD: list[Event] = [
    event(at(1, 9), "view", PHONE, 100.0, 1, "s1"),
    event(at(1, 9, 2), "cart", PHONE, 100.0, 1, "s1"),
    event(at(1, 9, 5), "purchase", PHONE, 100.0, 1, "s1"),
    event(at(1, 10), "view", OVEN, 50.0, 2, "s2"),
    event(at(1, 10, 1), "cart", OVEN, 50.0, 2, "s2"),
    event(at(1, 10, 3), "remove_from_cart", OVEN, 50.0, 2, "s2"),
    event(at(1, 10, 4), "cart", OVEN, 50.0, 2, "s2"),
    event(at(1, 10, 6), "purchase", OVEN, 50.0, 2, "s2"),
    event(at(1, 11), "view", SHOES, 20.0, 3, "s3"),
    event(at(1, 11, 1), "view", PHONE, 100.0, 3, "s3"),
    event(at(2, 8), "purchase", SHOES, 20.0, 4, "s4"),
    event(at(2, 9), "purchase", OVEN, 50.0, 5, "s5"),
    event(at(2, 9, 30), "purchase", SHOES, 20.0, 5, "s5"),
    event(at(2, 12), "purchase", PHONE, 100.0, 6, "s6"),
]

# User 1 comes back and buys again (its status row changes); user 3's second session starts
# after more than an hour of inactivity (a timeout split); one event of the first load is
# delivered again and must not count twice.
SECOND_LOAD: list[Event] = [
    event(at(3, 14), "view", OVEN, 50.0, 1, "s7"),
    event(at(3, 14, 2), "purchase", OVEN, 200.0, 1, "s7"),
    event(at(1, 13), "view", SHOES, 20.0, 3, "s3"),
    FIRST_LOAD[0],
]


class Warehouse:
    """Helpers on a DuckDB warehouse file, handed to tests as fixtures."""

    insert_events = staticmethod(insert_events)
    query = staticmethod(query)
    first_load = FIRST_LOAD
    second_load = SECOND_LOAD


@pytest.fixture(scope="session")
def warehouse() -> type[Warehouse]:
    return Warehouse


@dataclass(frozen=True)
class TwoLoads:
    warehouse: Path
    instance: dg.DagsterInstance
    defs: dg.Definitions
    runs: dict[str, dg.ExecuteInProcessResult]


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's DuckDB warehouse, local environment."""
    path = tmp_path_factory.mktemp("estore") / "estore.duckdb"
    patch = pytest.MonkeyPatch()
    patch.setenv(DUCKDB_PATH_VAR, str(path))
    patch.delenv("DAGSTER_ENVIRONMENT", raising=False)
    yield path
    patch.undo()


def _newer_than_its_sources(state: Path, component_yaml: Path) -> bool:
    """Whether ``state`` was prepared after every file it is built from was last changed:
    the dbt project (not dbt's own output), the component's YAML and the lock."""
    if not state.exists():
        return False
    declared = yaml.safe_load(component_yaml.read_text())["attributes"]["project"]
    project = component_yaml.parent.joinpath(declared).resolve()
    sources = [
        path
        for path in project.rglob("*")
        if path.is_file() and not DBT_OUTPUT.intersection(path.relative_to(project).parts)
    ]
    sources += [component_yaml, LOCATION_ROOT.parents[1] / "uv.lock"]
    prepared = state.stat().st_mtime_ns
    return all(path.stat().st_mtime_ns <= prepared for path in sources)


DBT_OUTPUT = {"target", "logs", "dbt_packages", ".user.yml"}
"""What dbt writes into its project folder (the project's .gitignore)."""


@pytest.fixture(scope="session")
def dbt_state(warehouse_path: Path) -> Path:
    """The dbt component's state, prepared from the current sources.

    `./scripts/test` (like `./scripts/dev`) runs `dg utils refresh-defs-state` just before
    pytest; a state newer than every source is that one and is used as it is. Otherwise it
    is refreshed here, once, as that command does (dbt parses the project)."""
    tree = ComponentTree.for_project(LOCATION_ROOT)
    [component] = tree.get_all_components(of_type=EstoreDbtProject)
    state = get_local_state_path(component.defs_state_config.key, LOCATION_ROOT)
    component_yaml = LOCATION_ROOT / "src" / "estore" / "defs" / "dbt" / "defs.yaml"
    if not _newer_than_its_sources(state, component_yaml):
        asyncio.run(component.refresh_state(LOCATION_ROOT))
    assert _newer_than_its_sources(state, component_yaml)
    return state


@pytest.fixture(scope="session")
def estore_defs(dbt_state: Path) -> dg.Definitions:
    from estore.definitions import defs

    return defs()


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as session_instance:
        yield session_instance


@pytest.fixture(scope="session")
def two_loads(
    warehouse_path: Path, estore_defs: dg.Definitions, instance: dg.DagsterInstance
) -> TwoLoads:
    """After the first load, models and snapshots in one dbt build; after the second, the
    location's two jobs, as its sensor and schedules run them."""
    graph = estore_defs.resolve_asset_graph()
    dbt_assets = [
        key
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name in ("estore_staging", "estore_marts", "estore_snapshots")
    ]
    insert_events(warehouse_path, FIRST_LOAD)
    everything = estore_defs.resolve_implicit_global_asset_job_def()
    runs = {
        "first/all": everything.execute_in_process(instance=instance, asset_selection=dbt_assets)
    }
    insert_events(warehouse_path, SECOND_LOAD)
    for job in ("dbt_job", "dbt_snapshot_job"):
        runs[f"second/{job}"] = estore_defs.resolve_job_def(job).execute_in_process(
            instance=instance
        )
    return TwoLoads(warehouse_path, instance, estore_defs, runs)


@pytest.fixture
def warehouse_copy(two_loads: TwoLoads, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the warehouse after both loads, in use for this test only."""
    copy = tmp_path / "estore.duckdb"
    shutil.copy(two_loads.warehouse, copy)
    monkeypatch.setenv(DUCKDB_PATH_VAR, str(copy))
    return copy
