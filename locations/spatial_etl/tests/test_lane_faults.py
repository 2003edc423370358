"""The lane sensors under faults: no manifest, configuration value or old cursor stops the
lanes; processed manifests left behind never delay new ones; big manifests tick quickly."""

import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.intake.cursor import parse_cursor
from spatial_etl.intake.lanes import ROUTER_ENV_VAR
from spatial_etl.intake.tick import ARCHIVE_RETRIES
from spatial_etl.testing import Landing, SensorDaemon
from spatial_platform.ledger import LedgerStatus, ManifestRecord
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource

LANE_SENSORS = ["manifest_sensor", "spatial_sensor", "tabular_sensor", "join_sensor"]


@pytest.fixture(autouse=True)
def _router_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ROUTER_ENV_VAR, raising=False)


def tick_all(daemon: SensorDaemon) -> dict[str, list[str]]:
    return {name: [r.run_key or "" for r in daemon.tick(name).created] for name in LANE_SENSORS}


def alerts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("ALERT ")]


def test_a_deeply_nested_manifest_is_quarantined_and_every_lane_goes_on(
    daemon: SensorDaemon,
    landing: Landing,
    mongodb: MongoDBResource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deep = b'{"batch_id": "deep", "metadata": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    deep_key = landing.put_manifest(deep, "a_deep")
    vector = landing.put_manifest(landing.manifest("ingest_vector", "z_vec"))
    tabular = landing.put_manifest(landing.manifest("ingest_tabular", "z_tab"))
    caplog.set_level(logging.WARNING, logger="platform_alerting")

    assert tick_all(daemon) == {
        "manifest_sensor": [],
        "spatial_sensor": ["spatial:z_vec"],
        "tabular_sensor": ["tabular:z_tab"],
        "join_sensor": [],
    }
    (record,) = mongodb.find_manifests(LedgerStatus.FAILURE)
    assert record.manifest_key == deep_key
    assert "nested deeper than 32 levels" in (record.error_message or "")
    assert landing.landing_keys("manifests/") == []
    assert {vector, tabular, deep_key} == {
        k.removeprefix("archive/") for k in landing.landing_keys("archive/")
    }
    assert any("a_deep.json" in alert for alert in alerts(caplog))


class BrokenRead(MinIOResource):
    """Reading one manifest raises something no one planned for."""

    def get_object(self, bucket: str, key: str) -> bytes:
        if key.endswith("b_broken.json"):
            raise ValueError("decoder exploded")
        return super().get_object(bucket, key)


def test_any_error_on_one_manifest_is_contained_to_it(
    daemon: SensorDaemon,
    landing: Landing,
    mongodb: MongoDBResource,
    minio: MinIOResource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    daemon.resources["minio"] = BrokenRead(**minio.model_dump())
    broken = landing.put_manifest(landing.manifest("ingest_vector", "broken"), "b_broken")
    landing.put_manifest(landing.manifest("ingest_vector", "c_fine"))
    caplog.set_level(logging.WARNING, logger="platform_alerting")

    tick = daemon.tick("spatial_sensor")

    assert [r.run_key for r in tick.created] == ["spatial:c_fine"]
    (record,) = mongodb.find_manifests(LedgerStatus.FAILURE)
    assert record.manifest_key == broken
    assert record.error_message == "could not be processed: ValueError: decoder exploded"
    assert landing.landing_keys("manifests/") == []
    assert any("b_broken.json" in alert and "decoder exploded" in alert for alert in alerts(caplog))
    assert daemon.tick("spatial_sensor").run_requests == []


def test_an_unknown_lane_in_the_traffic_controller_is_named_and_ignored(
    daemon: SensorDaemon,
    landing: Landing,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(ROUTER_ENV_VAR, "ingest,rasterz")
    landing.put_manifest(landing.manifest("ingest_road_network", "roads_3"))
    bad = landing.put_manifest(b"not json", "bad_json")
    caplog.set_level(logging.WARNING)

    tick = daemon.tick("manifest_sensor")

    assert [r.run_key for r in tick.created] == ["ingest:roads_3"]
    assert landing.landing_keys("manifests/") == []  # the invalid one is still quarantined
    assert f"archive/{bad}" in landing.landing_keys("archive/")
    named = [r.getMessage() for r in caplog.records if "'rasterz'" in r.getMessage()]
    assert len(named) == 1 and ROUTER_ENV_VAR in named[0]


@pytest.mark.parametrize(
    "old_cursor",
    [
        json.dumps({"v": 7, "processed_keys": ["manifests/seen.json"]}),
        json.dumps(["manifests/seen.json"]),
    ],
    ids=["unknown-version", "json-array"],
)
def test_old_or_unknown_cursors_never_stop_the_lane(
    daemon: SensorDaemon, landing: Landing, old_cursor: str
) -> None:
    key = landing.put_manifest(landing.manifest("ingest_vector", "after_upgrade"))
    daemon.cursors["spatial_sensor"] = old_cursor
    tick = daemon.tick("spatial_sensor")
    assert [r.run_key for r in tick.created] == ["spatial:after_upgrade"]
    stored = json.loads(tick.cursor or "")
    assert stored["v"] == 1 and key in stored["processed_keys"]


def test_a_json_array_cursor_migrates_like_the_comma_format() -> None:
    assert parse_cursor(json.dumps(["manifests/a.json", "manifests/b.json", 3, ""])) == [
        "manifests/a.json",
        "manifests/b.json",
    ]


class ArchiveDown(MinIOResource):
    def move_to_archive(self, key: str) -> str:
        raise PermissionError(f"AccessDenied: copy {key}")


def test_new_manifests_are_found_whatever_processed_ones_lie_before_them(
    daemon: SensorDaemon,
    landing: Landing,
    mongodb: MongoDBResource,
    minio: MinIOResource,
    lanes: ManifestLanes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # 1,000 manifests the ledger has processed, left in manifests/ (archiving failed),
    # sorting before the new ones.
    stuck = [f"manifests/a_{i:04d}.json" for i in range(1_000)]

    def leave_behind(item: tuple[int, str]) -> None:
        index, key = item
        minio.put_object(minio.landing_bucket, key, b"{}")
        record = ManifestRecord(
            batch_id=f"a_{index}", manifest_key=key, lane="spatial", status=LedgerStatus.SUCCESS
        )
        mongodb.insert_manifest(record)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(leave_behind, enumerate(stuck)))
    new = [landing.put_manifest(landing.manifest("ingest_vector", f"z_new_{i}")) for i in range(3)]
    daemon.resources["minio"] = ArchiveDown(**minio.model_dump())
    caplog.set_level(logging.WARNING, logger="platform_alerting")

    first = daemon.tick("spatial_sensor")

    assert sorted(r.tags["manifest_key"] for r in first.created) == new
    # Archiving is retried (a bounded number per tick) and alerted, once per manifest.
    failed = [a for a in alerts(caplog) if "could not be archived" in a]
    assert failed and len(failed) <= 2
    caplog.clear()
    daemon.tick("spatial_sensor")
    assert not [a for a in alerts(caplog) if "a_0000.json" in a]
    # Archiving works again: each tick moves a bounded batch, and launches nothing.
    daemon.resources["minio"] = minio
    left = len(landing.landing_keys("manifests/"))
    assert daemon.tick("spatial_sensor").run_requests == []
    assert len(landing.landing_keys("manifests/")) == left - ARCHIVE_RETRIES
    assert len(daemon.runs()) == 3


def test_a_twenty_thousand_file_manifest_is_launched_after_a_bounded_check(
    daemon: SensorDaemon, landing: Landing, mongodb: MongoDBResource, minio: MinIOResource
) -> None:
    document = landing.manifest("ingest_vector", "big")
    entry = document["files"][0]
    document["files"] = [
        {**entry, "path": landing.path(f"big/part_{i:05d}.gpkg")} for i in range(20_000)
    ]
    landing.put_manifest(document)
    checked: list[str] = []

    class Counting(MinIOResource):
        def object_exists(self, bucket: str, key: str) -> bool:
            checked.append(key)
            return True

    daemon.resources["minio"] = Counting(**minio.model_dump())
    tick = daemon.tick("spatial_sensor")
    assert [r.run_key for r in tick.created] == ["spatial:big"]
    assert 0 < len(checked) <= 4  # FILES_LOOKED_UP: the run looks up every file
    record = mongodb.get_manifest("big")
    assert record is not None and len(record.document()["files"]) == 20_000
