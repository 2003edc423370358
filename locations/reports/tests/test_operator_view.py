"""reports as an operator sees it in the Dagster UI."""

from platform_testing.operator_view import operator_view
from reports.definitions import defs


def test_every_asset_has_its_owner_group_description_kinds_and_results_are_checked() -> None:
    view = operator_view(defs(), "reports")

    assert view.problems == []
    assert {
        "results_storage:rows_match_fireant",
        "results_storage:one_result_set_per_due_time",
        "results_storage:reports_on_schedule",
    } <= view.checks
