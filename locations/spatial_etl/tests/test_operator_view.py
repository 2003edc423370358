"""spatial_etl as an operator sees it in the Dagster UI."""

from platform_testing.operator_view import operator_view
from spatial_etl.definitions import defs


def test_every_asset_has_its_owner_group_description_kinds_and_the_lake_file_is_checked() -> None:
    view = operator_view(defs(), "spatial_etl")

    assert view.problems == []
    assert {
        "raw_spatial_asset:valid_geometries",
        "raw_spatial_asset:crs_is_target",
        "raw_spatial_asset:features_match_source",
    } <= view.checks
