"""Where results go: a local Delta folder locally, OneLake with every variable named when
one is missing; one (report, due time) is replaced, never appended twice."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from reports.resources import FabricStorageResource

DUE = dt.datetime(2024, 1, 1, 6, tzinfo=dt.UTC)


def test_local_results_live_under_dagster_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    store = FabricStorageResource(local_folder="").store()
    assert store.table_uri.startswith(str(tmp_path / "local" / "reports-fabric"))


def test_a_rewrite_of_one_due_time_replaces_its_rows(fabric_storage: FabricStorageResource) -> None:
    store = fabric_storage.store()
    for rows in ([{"v": 1}, {"v": 2}], [{"v": 3}]):
        store.write_report_results(
            report_id=1, due_time=DUE, fireant_job_id="j", run_id="r", rows=rows
        )
    store.write_report_results(
        report_id=1,
        due_time=DUE + dt.timedelta(hours=1),
        fireant_job_id="k",
        run_id="s",
        rows=[{"v": 4}],
    )
    assert [row.payload for row in store.read_report_results(1, DUE)] == [{"v": 3}]
    assert store.count_rows() == 2


def test_onelake_names_every_missing_variable() -> None:
    resource = FabricStorageResource(
        workspace_id="ws", tenant_id=None, client_id="c", client_secret=None
    )
    with pytest.raises(Exception) as caught:
        resource.store()
    assert "AZURE_TENANT_ID" in str(caught.value) and "AZURE_CLIENT_SECRET" in str(caught.value)
    assert "FABRIC_WORKSPACE_ID" not in str(caught.value)


def test_onelake_table_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s")
    resource = FabricStorageResource(
        workspace_id="ws",
        tenant_id="t",
        client_id="c",
        client_secret=dg.EnvVar("AZURE_CLIENT_SECRET"),
        lakehouse="reports.Lakehouse",
    )
    uri = resource.store().table_uri
    assert (
        uri == "abfss://ws@onelake.dfs.fabric.microsoft.com/reports.Lakehouse/Tables/report_results"
    )
