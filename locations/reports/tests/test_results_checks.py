"""The checks of results_storage on real runs against the simulators and a local Delta table:
a report's run passes both; a due time holding two result sets fails both."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from reports.checks.results import ONE_RESULT_SET, ROWS_MATCH_FIREANT, evaluate_results
from reports.components.reports_orchestrator import resolved_shared_job
from reports.io_manager import ReportRunIOManager
from reports.resources import DjangoApiResource, FabricStorageResource, FireantResource
from reports.runs import DUE_AT_TAG

pytestmark = pytest.mark.integration

DUE = dt.datetime(2024, 3, 1, 6, 0, tzinfo=dt.UTC)


def test_a_report_run_checks_its_stored_results_against_fireant(
    instance: dg.DagsterInstance,
    django_api: DjangoApiResource,
    fireant_api: FireantResource,
    fabric_storage: FabricStorageResource,
    tmp_path: Path,
) -> None:
    job = resolved_shared_job(
        {
            "django_api": django_api,
            "fireant_api": fireant_api,
            "fabric_storage": fabric_storage,
            "io_manager": ReportRunIOManager(base_dir=str(tmp_path / "runs")),
        }
    )
    instance.add_dynamic_partitions("reports", ["1"])

    result = job.execute_in_process(
        partition_key="1", instance=instance, tags={DUE_AT_TAG: DUE.isoformat()}
    )

    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert {name: check.passed for name, check in checks.items()} == {
        ROWS_MATCH_FIREANT: True,
        ONE_RESULT_SET: True,
    }
    assert checks[ROWS_MATCH_FIREANT].metadata["stored_rows"].value == 3
    (stored,) = result.asset_materializations_for_node("results_storage")
    assert stored.metadata["fireant_rows"].value == 3
    assert str(stored.metadata["preview"].value).count("\n") == 4  # header, rule, three rows

    # A second result set appended under the same due time (a writer that appended instead
    # of replacing): both checks fail, naming what they found.
    from deltalake import DeltaTable, write_deltalake

    store = fabric_storage.store()
    table = DeltaTable(store.table_uri).to_pyarrow_table()
    run_ids = table.column("run_id").to_pylist()
    copy = table.set_column(
        table.schema.get_field_index("run_id"), "run_id", [["other-run"] * len(run_ids)]
    )
    write_deltalake(store.table_uri, copy, mode="append")

    rows, sets = evaluate_results(store.read_report_results(1, DUE), 3, 1, DUE)

    assert not rows.passed and rows.description == (
        "report 1 at 2024-03-01T06:00:00+00:00: 6 rows stored, Fireant returned 3"
    )
    assert not sets.passed and "2 result sets" in (sets.description or "")
