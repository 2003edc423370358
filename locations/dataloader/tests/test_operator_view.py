"""The dataloader as an operator sees it in the Dagster UI."""

from dataloader.definitions import defs
from platform_testing.operator_view import operator_view


def test_every_asset_has_its_owner_group_description_and_kinds_and_loads_are_checked_and_on_schedule() -> (
    None
):
    view = operator_view(defs(), "dataloader")

    assert view.problems == []
    assert {
        "dataloader__table_load:rows_match_source",
        "dataloader__table_load:loads_on_schedule",
    } <= view.checks
