"""dataloader_retry_analysis: the rules back-end decides, Lakebase follows the decision."""

import dagster as dg
import pytest

from dataloader.assets.retry_analysis import dataloader_retry_analysis
from lakebase import LakebaseClient


def analyse(
    config_id: int, error: str, retry_count: int, resources: dict
) -> dg.ExecuteInProcessResult:
    config = {
        "config_id": config_id,
        "control_key": "t",
        "error_message": error,
        "retry_count": retry_count,
        "max_retries": 3,
        "db_type": "postgres",
        "load_strategy": "full",
    }
    return dg.materialize(
        [dataloader_retry_analysis],
        run_config={"ops": {"dataloader_retry_analysis": {"config": config}}},
        resources=resources,
        instance=dg.DagsterInstance.ephemeral(),
    )


@pytest.fixture
def failed_table(lakebase: LakebaseClient, source_dsn: str, registration) -> int:
    config_id = lakebase.register_table(registration("t", source_dsn), "sql")
    [queued] = lakebase.claim_ready_tables(limit=1)
    lakebase.record_load_failure(config_id, queued.metadata_id, "placeholder")
    return config_id


def test_transient_error_is_reset_for_retry(
    failed_table: int, lakebase: LakebaseClient, resources: dict
) -> None:
    error = 'connection to server at "10.0.0.5", port 5432 failed: Connection refused'
    result = analyse(failed_table, error, 0, resources)
    metadata = result.asset_materializations_for_node("dataloader_retry_analysis")[0].metadata
    assert metadata["decision"].value == "Retry Recommended"
    table = lakebase.get_table(failed_table)
    assert table is not None and table.last_status is None and table.retry_count == 1
    assert (table.last_status_message or "").startswith("[AI Analysis - Retry Recommended]")
    [history] = lakebase.get_history(failed_table)
    assert history["retry_decision"] == "Retry Recommended" and history["retry_confidence"] > 0.5


def test_permanent_error_requires_review(
    failed_table: int, lakebase: LakebaseClient, resources: dict
) -> None:
    analyse(failed_table, 'relation "public.orders" does not exist', 0, resources)
    table = lakebase.get_table(failed_table)
    assert table is not None and table.last_status == "Failed" and table.requires_review
    assert (table.last_status_message or "").startswith("[AI Analysis - Requires Review]")
    assert lakebase.get_failed_for_analysis(3) == []


def test_exhausted_retries_require_review_even_for_transient_errors(
    failed_table: int, lakebase: LakebaseClient, resources: dict
) -> None:
    analyse(failed_table, "connection timed out", 3, resources)
    table = lakebase.get_table(failed_table)
    assert table is not None and table.requires_review
