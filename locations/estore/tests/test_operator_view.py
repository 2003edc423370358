"""estore as an operator sees it in the Dagster UI."""

import dagster as dg

from platform_testing.operator_view import operator_view


def test_every_asset_has_its_owner_group_description_kinds_checks_and_freshness(
    estore_defs: dg.Definitions,
) -> None:
    view = operator_view(estore_defs, "estore")
    graph = estore_defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}

    assert view.problems == []
    assert groups == {"estore_raw", "estore_staging", "estore_marts", "estore_snapshots"}
    assert "estore_raw/events:rows_match_file" in view.checks
    models = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name != "estore_raw"
    }
    assert view.freshness == models  # every dbt model and snapshot, not the file-fed raw table
    raw = graph.get(dg.AssetKey(["estore_raw", "events"]))
    schema = raw.metadata["dagster/column_schema"]
    assert [column.name for column in schema.columns][:2] == ["event_time", "event_type"]
