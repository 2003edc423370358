"""reports as an operator sees it in the Dagster UI."""

from platform_testing.operator_view import operator_view
from reports.definitions import defs


def test_every_asset_has_its_owner_group_description_and_kinds() -> None:
    view = operator_view(defs(), "reports")

    assert view.problems == []
