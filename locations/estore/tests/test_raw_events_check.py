"""rows_match_file on real loads: a local landing folder, a DuckDB warehouse, real runs."""

from pathlib import Path

import dagster as dg
import pytest

from estore.checks.raw_events import ROWS_CHECK, build_rows_match_file_check, count_file_rows
from estore.jobs.gcs_to_bq_load import JOB_NAME, LoadFileConfig, gcs_to_bq_load_job, load_run_config
from estore.resources.landing import LandingStore
from estore.resources.warehouse import DuckDBWarehouse
from estore.sample_data import write_events_csv
from platform_config import Environment

RAW = dg.AssetKey(["estore_raw", "events"])


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_a_load_records_the_file_rows_and_passes_the_check(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    write_events_csv(landing / "estore-landing" / "events" / "2019-10-01.csv", 25)
    resources = {
        "landing": LandingStore(local_root=str(landing)),
        "warehouse": DuckDBWarehouse(database=str(tmp_path / "warehouse.duckdb")),
    }
    job = dg.Definitions(
        jobs=[gcs_to_bq_load_job(Environment.LOCAL)], resources=resources
    ).get_job_def(JOB_NAME)
    file = LoadFileConfig(bucket="estore-landing", key="events/2019-10-01.csv", generation="1")

    result = job.execute_in_process(
        run_config=load_run_config(Environment.LOCAL, file), instance=instance
    )

    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed) == (ROWS_CHECK, True)
    (materialization,) = result.asset_materializations_for_node("load_csv_file")
    metadata = materialization.metadata
    assert metadata["rows"].value == metadata["file_rows"].value == 25
    assert metadata["file_bytes"] == dg.IntMetadataValue(
        Path(landing / "estore-landing" / "events" / "2019-10-01.csv").stat().st_size
    )
    preview = str(metadata["preview"].value)
    assert preview.startswith("| event_time | event_type |") and preview.count("\n") == 6

    check = build_rows_match_file_check(RAW)
    again = check(dg.build_asset_check_context(instance=instance))
    assert isinstance(again, dg.AssetCheckResult) and again.passed


def test_the_check_fails_when_the_table_took_fewer_rows_than_the_file_holds(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    path = write_events_csv(tmp_path / "2019-10-02.csv", 10)
    # A production load that dropped rows (BigQuery's bad-record tolerance) records this.
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=RAW,
            metadata={"source": "gs://b/events/2019-10-02.csv", "rows": 8, "file_rows": 10},
        )
    )

    result = build_rows_match_file_check(RAW)(dg.build_asset_check_context(instance=instance))
    assert isinstance(result, dg.AssetCheckResult)

    assert count_file_rows(path) == 10
    assert not result.passed
    assert (
        result.description
        == "gs://b/events/2019-10-02.csv: the file holds 10 rows but 8 were loaded"
    )


def test_a_quoted_field_across_lines_is_one_row(tmp_path: Path) -> None:
    path = tmp_path / "quoted.csv"
    path.write_text('a,b\n1,"two\nlines"\n\n3,x\n')

    assert count_file_rows(path) == 2
