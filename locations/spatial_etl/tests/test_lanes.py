"""Routing rules and the traffic controller ``MANIFEST_ROUTER_ENABLED_LANES``."""

import pytest
from pydantic import ValidationError

from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.intake.lanes import (
    ROUTER_ENV_VAR,
    Lane,
    RouterConfigError,
    Routing,
    lane_disabled_reason,
    router_config_problem,
    router_enabled_lanes,
)

KNOWN = ["ingest", "spatial", "tabular", "join"]


def test_the_yaml_routes_every_intent_to_one_lane(lanes: ManifestLanes) -> None:
    routing = lanes.routing
    assert {intent: routing.lane_for(intent).name for intent in routing.intents} == {  # type: ignore[union-attr]
        "ingest_building_footprints": "ingest",
        "ingest_road_network": "ingest",
        "ingest_vector": "spatial",
        "ingest_raster": "spatial",
        "ingest_tabular": "tabular",
        "join_datasets": "join",
    }
    assert routing.lane_for("ingest_pointcloud") is None
    assert routing.quarantine_lane.sensor == "manifest_sensor"
    assert [(lane.sensor, lane.job) for lane in routing.lanes] == [
        ("manifest_sensor", "ingest_job"),
        ("spatial_sensor", "spatial_asset_job"),
        ("tabular_sensor", "tabular_asset_job"),
        ("join_sensor", "join_asset_job"),
    ]


def lane(name: str, intents: list[str], **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "sensor": f"{name}_sensor",
        "job": f"{name}_job",
        "intents": intents,
        **extra,
    }


@pytest.mark.parametrize(
    ("lanes", "says"),
    [
        (
            [lane("a", ["x"], quarantine=True), lane("b", ["x"])],
            "intent 'x' is routed to both 'a' and 'b'",
        ),
        ([lane("a", ["x"]), lane("b", ["y"])], "exactly one lane must set quarantine"),
        (
            [lane("a", ["x"], quarantine=True), lane("a", ["y"])],
            "lane names used twice: ['a']",
        ),
        ([lane("a", [], quarantine=True)], "a lane needs at least one intent"),
        ([lane("Bad Name", ["x"], quarantine=True)], "String should match pattern"),
    ],
)
def test_inconsistent_lanes_are_rejected(lanes: list[dict[str, object]], says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ManifestLanes.model_validate({"lanes": lanes})
    assert says in str(caught.value)


def test_the_traffic_controller_defaults_to_ingest() -> None:
    assert router_enabled_lanes(KNOWN, {}) == {"ingest"}
    assert router_enabled_lanes(KNOWN, {ROUTER_ENV_VAR: " , "}) == {"ingest"}


def test_the_traffic_controller_reads_a_comma_separated_list() -> None:
    assert router_enabled_lanes(KNOWN, {ROUTER_ENV_VAR: " Tabular,JOIN ,"}) == {"tabular", "join"}


def test_an_unknown_lane_name_is_named_and_ignored() -> None:
    environ = {ROUTER_ENV_VAR: "ingest,rastr"}
    assert router_enabled_lanes(KNOWN, environ) == {"ingest"}
    problem = router_config_problem(KNOWN, environ) or ""
    assert "MANIFEST_ROUTER_ENABLED_LANES='ingest,rastr' names unknown lane(s) ['rastr']" in problem
    assert router_config_problem(KNOWN, {ROUTER_ENV_VAR: "spatial"}) is None
    # Nothing valid left: the default applies.
    assert router_enabled_lanes(KNOWN, {ROUTER_ENV_VAR: "rastr"}) == {"ingest"}


def test_disabled_reasons() -> None:
    legacy = Lane.model_validate(lane("ingest", ["i"], traffic_controlled=True))
    asset = Lane.model_validate(lane("spatial", ["v"]))
    off = Lane.model_validate(lane("join", ["j"], enabled=False))
    assert lane_disabled_reason(legacy, KNOWN, {}) is None
    assert "disabled by MANIFEST_ROUTER_ENABLED_LANES" in (
        lane_disabled_reason(legacy, KNOWN, {ROUTER_ENV_VAR: "spatial"}) or ""
    )
    # The controller governs traffic-controlled lanes only.
    assert lane_disabled_reason(asset, KNOWN, {ROUTER_ENV_VAR: "ingest"}) is None
    assert "enabled: false" in (lane_disabled_reason(off, KNOWN, {}) or "")


def test_routing_is_built_from_lanes() -> None:
    with pytest.raises(RouterConfigError):
        Routing.of([Lane.model_validate(lane("a", ["x"]))])
