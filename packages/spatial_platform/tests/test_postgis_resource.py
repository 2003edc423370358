"""PostGISResource on a throwaway Postgres cluster with PostGIS."""

import signal
import subprocess
import sys
import time
import uuid

import pyarrow as pa
import pytest
import shapely

from spatial_platform import PostGISResource, RunIdSchemaMapping


def test_schema_mapping_round_trips_the_spec_example() -> None:
    run_id = "abc12345-def6-7890-ijkl-mnop12345678"
    mapping = RunIdSchemaMapping.from_run_id(run_id)
    assert mapping.schema_name == "proc_abc12345_def6_7890_ijkl_mnop12345678"
    assert RunIdSchemaMapping.from_schema_name(mapping.schema_name).run_id == run_id


@pytest.mark.parametrize(
    "bad", ["", "abc", "ABC12345-def6-7890-ijkl-mnop12345678", "a;drop-x-y-z-w"]
)
def test_schema_mapping_refuses_what_is_not_a_run_id(bad: str) -> None:
    with pytest.raises(ValueError, match="not UUID-shaped"):
        RunIdSchemaMapping.from_run_id(bad)


def test_schema_mapping_refuses_foreign_schema_names() -> None:
    with pytest.raises(ValueError, match="not an ephemeral schema name"):
        RunIdSchemaMapping.from_schema_name("public")
    with pytest.raises(ValueError, match="does not belong to run"):
        RunIdSchemaMapping(run_id=str(uuid.uuid4()), schema_name="proc_other")


def _schemas(postgis: PostGISResource) -> list[str]:
    return [m.schema_name for m in postgis.list_ephemeral_schemas()]


def test_ephemeral_schema_lives_for_the_block(postgis: PostGISResource) -> None:
    run_id = str(uuid.uuid4())
    with postgis.ephemeral_schema(run_id) as schema:
        assert schema == "proc_" + run_id.replace("-", "_")
        postgis.execute_sql(
            "CREATE TABLE parcels AS SELECT 1 AS id, "
            "ST_SetSRID(ST_MakeEnvelope(144, -38, 145, -37), 4326) AS geom",
            schema,
        )
        assert postgis.table_exists(schema, "parcels")
        assert postgis.get_table_bounds(schema, "parcels") == (144.0, -38.0, 145.0, -37.0)
        assert postgis.execute_sql("SELECT count(*) FROM parcels", schema) == [(1,)]
        assert _schemas(postgis) == [schema]
    assert _schemas(postgis) == []
    assert not postgis.table_exists(schema, "parcels")


def test_ephemeral_schema_is_dropped_after_an_exception(postgis: PostGISResource) -> None:
    run_id = str(uuid.uuid4())
    with (
        pytest.raises(RuntimeError, match="transform failed"),
        postgis.ephemeral_schema(run_id) as schema,
    ):
        postgis.execute_sql("CREATE TABLE t (id int)", schema)
        raise RuntimeError("transform failed")
    assert _schemas(postgis) == []


def test_ephemeral_schema_is_dropped_after_an_interrupt(postgis: PostGISResource) -> None:
    with pytest.raises(KeyboardInterrupt), postgis.ephemeral_schema(str(uuid.uuid4())):
        raise KeyboardInterrupt
    assert _schemas(postgis) == []


def test_drop_schema_refuses_non_ephemeral_schemas(postgis: PostGISResource) -> None:
    with pytest.raises(ValueError, match="refusing to drop"):
        postgis.drop_schema("public")


def test_arrow_tables_load_and_come_back(postgis: PostGISResource) -> None:
    geoms = shapely.points([144.9, 145.0], [-37.8, -37.7])
    data = pa.table(
        {
            "code": ["A", "B"],
            "population": pa.array([10, 20], pa.int64()),
            "share": [0.5, 1.5],
            "geometry": pa.array(shapely.to_wkb(geoms), pa.binary()),
        }
    )
    with postgis.ephemeral_schema(str(uuid.uuid4())) as schema:
        assert postgis.load_arrow(schema, "points", data, geometry_column="geometry") == 2
        assert postgis.execute_sql("SELECT DISTINCT ST_SRID(geom) FROM points", schema) == [(4326,)]
        back = postgis.query_arrow(
            "SELECT code, population, share, ST_AsBinary(geom) AS geometry FROM points ORDER BY code",
            schema,
        )
        bounds = postgis.get_table_bounds(schema, "points")
    assert back.column("code").to_pylist() == ["A", "B"]
    assert back.column("population").to_pylist() == [10, 20]
    assert shapely.from_wkb(back.column("geometry").to_pylist()).tolist() == geoms.tolist()
    assert bounds == pytest.approx((144.9, -37.8, 145.0, -37.7))


_HOLD_A_SCHEMA = """
import sys, time
from spatial_platform import PostGISResource
postgis = PostGISResource(host=sys.argv[1], port=int(sys.argv[2]), user="postgres", database=sys.argv[3])
with postgis.ephemeral_schema(sys.argv[4]) as schema:
    postgis.execute_sql("CREATE TABLE half_done AS SELECT 1 AS x", schema)
    print("ready", flush=True)
    time.sleep(600)
"""


def test_the_schema_of_a_killed_run_is_swept_and_a_live_ones_kept(
    postgis: PostGISResource,
) -> None:
    """Whatever Dagster believes about the runs: a schema whose run holds no session is swept."""
    killed, live = str(uuid.uuid4()), str(uuid.uuid4())
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _HOLD_A_SCHEMA,
            postgis.host,
            str(postgis.port),
            postgis.database,
            killed,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        with postgis.ephemeral_schema(live) as live_schema:
            assert postgis.sweep_orphaned_schemas() == []  # both runs hold their sessions
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            swept = []
            deadline = time.monotonic() + 30
            while not swept and time.monotonic() < deadline:
                swept = postgis.sweep_orphaned_schemas()  # once its server session has ended
                time.sleep(0.2)
            assert [m.run_id for m in swept] == [killed]
            assert _schemas(postgis) == [live_schema]
        assert _schemas(postgis) == []
    finally:
        worker.kill()
        worker.wait()


def test_a_leftover_schema_with_no_session_is_an_orphan(postgis: PostGISResource) -> None:
    run_id = str(uuid.uuid4())
    schema = RunIdSchemaMapping.from_run_id(run_id).schema_name
    postgis.execute_sql(f'CREATE SCHEMA "{schema}"')
    assert [m.schema_name for m in postgis.sweep_orphaned_schemas()] == [schema]
    assert _schemas(postgis) == []
