"""Results as Delta, on a local folder and on Azurite over HTTP: write, replace, fail cleanly."""

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fabric_store.store
from fabric_store import (
    FabricStore,
    FabricWriteError,
    TableLocation,
    local_location,
    onelake_location_from_env,
)

DUE = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.UTC)
LATER = DUE + dt.timedelta(hours=1)


def _rows(n: int, factor: float = 1.0) -> list[dict[str, Any]]:
    return [{"event_id": i, "exposure": i * factor} for i in range(n)]


def _write(store: FabricStore, report_id: int, due: dt.datetime, rows: Any, run_id: str = "run-a"):
    return store.write_report_results(
        report_id=report_id,
        due_time=due,
        fireant_job_id=f"job-{report_id}",
        run_id=run_id,
        rows=rows,
    )


def test_write_then_read_back(store: FabricStore) -> None:
    result = _write(store, 7, DUE, _rows(3, 2.5))
    assert (result.report_id, result.rows_written, result.version) == (7, 3, 0)
    assert result.due_time == DUE and result.table_uri == store.table_uri
    stored = store.read_report_results(7, DUE)
    assert [r.payload for r in stored] == _rows(3, 2.5)
    assert [r.row_index for r in stored] == [0, 1, 2]
    assert {(r.fireant_job_id, r.run_id) for r in stored} == {("job-7", "run-a")}


def test_rerun_replaces_and_never_duplicates(store: FabricStore) -> None:
    _write(store, 7, DUE, _rows(3))
    _write(store, 7, LATER, _rows(2))
    _write(store, 8, DUE, _rows(4))
    again = _write(store, 7, DUE, _rows(5, 10.0), run_id="run-b")
    assert again.rows_written == 5 and again.version == 3
    assert [r.payload for r in store.read_report_results(7, DUE)] == _rows(5, 10.0)
    assert {r.run_id for r in store.read_report_results(7, DUE)} == {"run-b"}
    assert len(store.read_report_results(7, LATER)) == 2
    assert len(store.read_report_results(8, DUE)) == 4
    assert store.count_rows() == 5 + 2 + 4


def test_empty_results_replace_earlier_rows(store: FabricStore) -> None:
    _write(store, 7, DUE, _rows(3))
    assert _write(store, 7, DUE, []).rows_written == 0
    assert store.read_report_results(7, DUE) == []


def test_failed_write_leaves_nothing(store: FabricStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row fails after a first batch was already streamed to storage: nothing commits."""
    monkeypatch.setattr(fabric_store.store, "BATCH_ROWS", 2)
    _write(store, 7, DUE, _rows(3))
    before = (store.version(), store.count_rows())
    bad = [*_rows(4, 9.0), {"event_id": 4, "exposure": float("nan")}]
    with pytest.raises(FabricWriteError) as err:
        _write(store, 7, DUE, bad, run_id="run-b")
    assert "result row 4 of report 7 at 2026-01-05T06:00:00+00:00" in str(err.value)
    assert (store.version(), store.count_rows()) == before
    assert [r.payload for r in store.read_report_results(7, DUE)] == _rows(3)


def test_failed_first_write_creates_no_table(store: FabricStore) -> None:
    def rows() -> Iterator[dict[str, Any]]:
        yield {"event_id": 1}
        raise ConnectionError("Fireant results stream broke")

    with pytest.raises(FabricWriteError, match="nothing was committed"):
        _write(store, 7, DUE, rows())
    assert not store.exists() and store.read_report_results(7, DUE) == []


def test_concurrent_writers_of_different_reports_all_land(store: FabricStore) -> None:
    _write(store, 1, DUE, _rows(1))  # the table exists before the race
    errors: list[BaseException] = []

    def write(report_id: int) -> None:
        try:
            _write(store, report_id, DUE, _rows(report_id))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count_rows() == 1 + 2 + 3 + 4 + 5


def test_concurrent_reruns_of_one_key_leave_one_runs_rows(store: FabricStore) -> None:
    """Two runs racing on the same (report, due time): conflicts are retried, never merged."""
    _write(store, 99, DUE, _rows(1))
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def write(run_id: str) -> None:
        start.wait()
        try:
            _write(store, 7, DUE, _rows(4), run_id=run_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"run-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = store.read_report_results(7, DUE)
    assert errors == []
    assert len(stored) == 4 and len({r.run_id for r in stored}) == 1


def test_naive_due_time_is_refused(tmp_path: Path) -> None:
    store = FabricStore(local_location(tmp_path / "t"))
    with pytest.raises(ValueError, match="timezone-aware"):
        _write(store, 7, DUE.replace(tzinfo=None), _rows(1))


def test_unreachable_storage_fails_naming_report_and_due_time() -> None:
    from fabric_store import azurite_location
    from local_services import free_port

    nowhere = azurite_location(blob_endpoint=f"http://127.0.0.1:{free_port()}", container="none")
    # object_store's own retries (which production keeps) would only slow this test down
    store = FabricStore(TableLocation(nowhere.uri, {**nowhere.storage_options, "max_retries": "0"}))
    with pytest.raises(FabricWriteError) as err:
        _write(store, 7, DUE, _rows(1))
    assert "report 7 at 2026-01-05T06:00:00+00:00" in str(err.value)


def test_onelake_location_from_env() -> None:
    env = {
        "FABRIC_WORKSPACE_ID": "ws-1",
        "AZURE_TENANT_ID": "tenant",
        "AZURE_CLIENT_ID": "client",
        "AZURE_CLIENT_SECRET": "very-secret",
        "FABRIC_LAKEHOUSE_ID": "finance.Lakehouse",
    }
    location = onelake_location_from_env(env)
    assert location.uri == (
        "abfss://ws-1@onelake.dfs.fabric.microsoft.com/finance.Lakehouse/Tables/report_results"
    )
    assert location.storage_options["use_fabric_endpoint"] == "true"
    assert "very-secret" not in repr(location) and not location.is_local
    with pytest.raises(ValueError, match="AZURE_CLIENT_ID, AZURE_CLIENT_SECRET"):
        onelake_location_from_env({"FABRIC_WORKSPACE_ID": "w", "AZURE_TENANT_ID": "t"})
    assert TableLocation("/tmp/x").is_local
