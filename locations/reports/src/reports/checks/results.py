"""The checks of ``results_storage``, run in the report's run right after it.

They read the Fabric table back for the run's report and due time: it must hold as many rows
as Fireant returned (``fireant_rows`` on the materialization), and exactly one result set,
written by one Fireant job and one run with row indexes 0..n-1, never two appended together.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

import dagster as dg

from reports.resources import FabricStorageResource
from reports.runs import run_due_time

ASSET = "results_storage"
ROWS_MATCH_FIREANT = "rows_match_fireant"
ONE_RESULT_SET = "one_result_set_per_due_time"
FIREANT_ROWS = "fireant_rows"


class StoredRow(Protocol):
    """The columns of a stored row the checks read (``fabric_store.ResultRow`` has them)."""

    @property
    def fireant_job_id(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def row_index(self) -> int: ...


def evaluate_results(
    stored: Sequence[StoredRow], fireant_rows: int, report_id: int, due_at: dt.datetime
) -> list[dg.AssetCheckResult]:
    where = f"report {report_id} at {due_at.isoformat()}"
    sets = sorted({(row.fireant_job_id, row.run_id) for row in stored})
    indexes = sorted(row.row_index for row in stored)
    one_set = len(sets) <= 1 and indexes == list(range(len(stored)))
    return [
        dg.AssetCheckResult(
            check_name=ROWS_MATCH_FIREANT,
            passed=len(stored) == fireant_rows,
            description=f"{where}: {len(stored)} rows stored, Fireant returned {fireant_rows}",
            metadata={"stored_rows": len(stored), FIREANT_ROWS: fireant_rows},
        ),
        dg.AssetCheckResult(
            check_name=ONE_RESULT_SET,
            passed=one_set,
            description=(
                f"{where}: one result set"
                if one_set
                else f"{where}: {len(sets)} result sets (Fireant job, run) "
                f"{', '.join(f'{job}/{run}' for job, run in sets)} share the due time"
            ),
            metadata={"result_sets": len(sets)},
        ),
    ]


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            ROWS_MATCH_FIREANT,
            asset=ASSET,
            description="The Fabric table holds as many rows of the report and due time as "
            "Fireant returned.",
        ),
        dg.AssetCheckSpec(
            ONE_RESULT_SET,
            asset=ASSET,
            description="The report's due time has one result set in the Fabric table.",
        ),
    ],
    name="results_storage_checks",
)
def results_storage_checks(
    context: dg.AssetCheckExecutionContext, fabric_storage: FabricStorageResource
):
    partition = context.run.tags.get("dagster/partition")
    if partition is None:
        raise dg.Failure(
            "results_storage_checks runs in a report's run: the run names no report "
            "(dagster/partition); launch it with the report's partition."
        )
    report_id, due_at = int(partition), run_due_time(context.instance, context.run)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(ASSET), asset_partitions=[partition]),
        limit=1,
    ).records
    materialization = records[0].asset_materialization if records else None
    recorded = materialization.metadata.get(FIREANT_ROWS) if materialization else None
    if recorded is None:
        raise dg.Failure(f"report {report_id}: results_storage recorded no {FIREANT_ROWS} yet")
    stored = fabric_storage.store().read_report_results(report_id, due_at)
    yield from evaluate_results(stored, int(recorded.value), report_id, due_at)  # type: ignore[arg-type]


PROCESSING_CHECKS = [results_storage_checks]
