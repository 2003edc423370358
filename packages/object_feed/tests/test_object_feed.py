"""Exactly-once feeds on the GCS emulator and moto's S3 server, with real Dagster runs.

Listing runs on both stores; the exactly-once scenarios (store-agnostic) run on the GCS
emulator, the location-format ones on S3. Each test gets a fresh bucket, a real job whose op
fails for keys containing "bad", and ``SensorDaemon`` doing what the sensor daemon does.
"""

import io
import itertools
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from minio import Minio

from local_services import ServerProcess
from object_feed import (
    KEY_TAG,
    QUARANTINED_TAG,
    CursorError,
    FeedPolicy,
    FeedState,
    FolderLister,
    GcsLister,
    JsonCursorCodec,
    ObjectFeed,
    ObjectInfo,
    ObjectLister,
    Outcome,
    S3Lister,
    gcs_client,
)
from object_feed.testing import SensorDaemon

HOUR = 3600.0


class LoadConfig(dg.Config):
    key: str


@dg.op
def load_object(config: LoadConfig) -> None:
    if "bad" in config.key:
        raise ValueError(f"{config.key}: row 2 has no price")


@dg.job
def load_job() -> None:
    load_object()


def request_for(obj: ObjectInfo) -> dg.RunRequest:
    return dg.RunRequest(
        run_config={"ops": {"load_object": {"config": {"key": obj.key}}}},
        tags={"latest_key": obj.key},
    )


@dataclass
class Clock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Bucket:
    put: Callable[[str, bytes], None]
    lister: ObjectLister


def gcs_bucket(server: ServerProcess) -> Bucket:
    client = gcs_client(server.url)
    name = f"feed-{uuid.uuid4().hex[:10]}"
    bucket = client.create_bucket(name)

    def put(key: str, data: bytes) -> None:
        bucket.blob(key).upload_from_string(data)

    return Bucket(put, GcsLister(client, name))


def s3_bucket(server: ServerProcess) -> Bucket:
    client = Minio(
        server.url.removeprefix("http://"), access_key="test", secret_key="test", secure=False
    )
    name = f"feed-{uuid.uuid4().hex[:10]}"
    client.make_bucket(name)

    def put(key: str, data: bytes) -> None:
        client.put_object(name, key, io.BytesIO(data), length=len(data))

    return Bucket(put, S3Lister(client, name))


def folder_bucket(root: Path) -> Bucket:
    def put(key: str, data: bytes) -> None:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return Bucket(put, FolderLister(root))


@pytest.fixture(params=["gcs", "s3", "folder"])
def bucket(request: pytest.FixtureRequest, tmp_path: Path) -> Bucket:
    if request.param == "gcs":
        return gcs_bucket(request.getfixturevalue("gcs_emulator"))
    if request.param == "s3":
        return s3_bucket(request.getfixturevalue("s3_server"))
    return folder_bucket(tmp_path)


@pytest.fixture
def gcs(gcs_emulator: ServerProcess) -> Bucket:
    return gcs_bucket(gcs_emulator)


@pytest.fixture
def s3(s3_server: ServerProcess) -> Bucket:
    return s3_bucket(s3_server)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def feed_sensor(
    bucket: Bucket,
    clock: Clock,
    policy: FeedPolicy,
    build: Callable[[ObjectInfo], dg.RunRequest | None] = request_for,
    codec: JsonCursorCodec | None = None,
) -> dg.SensorDefinition:
    @dg.sensor(name="landing_feed", job=load_job)
    def landing_feed(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        feed = ObjectFeed(bucket.lister, "in/", policy, codec or JsonCursorCodec(), clock)
        return feed.plan(context, build).sensor_result()

    return landing_feed


def requested(data) -> list[str]:
    return [request.tags[KEY_TAG] for request in data.run_requests or []]


def runs_by_key(instance: dg.DagsterInstance) -> dict[str, list[dg.DagsterRunStatus]]:
    by_key: dict[str, list[dg.DagsterRunStatus]] = {}
    for run in reversed(instance.get_runs()):
        by_key.setdefault(run.tags[KEY_TAG], []).append(run.status)
    return by_key


def state_of(daemon: SensorDaemon) -> FeedState:
    return JsonCursorCodec().decode(daemon.cursor)


SUCCESS = dg.DagsterRunStatus.SUCCESS
FAILURE = dg.DagsterRunStatus.FAILURE


# -- listing -----------------------------------------------------------------------------------


def test_lists_keys_under_the_prefix_strictly_after_the_start_key(bucket: Bucket) -> None:
    for key in ["in/2024-01.csv", "in/2024-02.csv", "in/2024-03.csv", "other/x.csv"]:
        bucket.put(key, b"event_time\n")

    everything = [obj.key for obj in bucket.lister.list_after("in/", None)]
    after = [obj.key for obj in bucket.lister.list_after("in/", "in/2024-01.csv")]

    assert everything == ["in/2024-01.csv", "in/2024-02.csv", "in/2024-03.csv"]
    assert after == ["in/2024-02.csv", "in/2024-03.csv"]
    assert list(bucket.lister.list_after("in/", "in/2024-03.csv")) == []


def test_version_changes_when_an_object_is_rewritten(bucket: Bucket) -> None:
    bucket.put("in/a.csv", b"one")
    (first,) = bucket.lister.list_after("in/", None)
    bucket.put("in/a.csv", b"two, longer")
    (second,) = bucket.lister.list_after("in/", None)

    assert first.version and second.version and first.version != second.version
    assert second.size == len(b"two, longer")


# -- exactly once ------------------------------------------------------------------------------


def test_objects_are_requested_once_while_their_runs_are_in_flight(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    for key in ["in/1.csv", "in/2.csv", "in/3.csv"]:
        gcs.put(key, b"x")
    daemon = SensorDaemon(instance, feed_sensor(gcs, Clock(), FeedPolicy()), load_job)

    first = daemon.tick()
    gcs.put("in/4.csv", b"x")
    second = daemon.tick()  # 1-3 are created but not executed yet
    assert daemon.finish() == [SUCCESS] * 4
    third = daemon.tick()

    assert requested(first) == ["in/1.csv", "in/2.csv", "in/3.csv"]
    assert requested(second) == ["in/4.csv"]
    assert requested(third) == []
    assert third.skip_message is not None and "0 requested" in third.skip_message
    assert runs_by_key(instance) == {f"in/{n}.csv": [SUCCESS] for n in range(1, 5)}
    state = state_of(daemon)
    assert (state.watermark, state.settled, state.pending) == ("in/4.csv", [], {})


def test_run_key_names_the_object_and_its_version(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    gcs.put("in/1.csv", b"x")
    (obj,) = gcs.lister.list_after("in/", None)
    daemon = SensorDaemon(instance, feed_sensor(gcs, Clock(), FeedPolicy()), load_job)

    (request,) = daemon.tick().run_requests or []

    assert request.run_key == f"in/1.csv@{obj.version}"
    assert request.tags["latest_key"] == "in/1.csv"


def test_a_failing_object_between_good_ones_is_retried_with_backoff_then_quarantined(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    for key in ["in/1.csv", "in/2-bad.csv", "in/3.csv"]:
        gcs.put(key, b"x")
    clock = Clock()
    policy = FeedPolicy(max_attempts=3, backoff_base_seconds=HOUR, backoff_max_seconds=10 * HOUR)
    daemon = SensorDaemon(instance, feed_sensor(gcs, clock, policy), load_job)

    assert requested(daemon.tick()) == ["in/1.csv", "in/2-bad.csv", "in/3.csv"]
    assert daemon.finish() == [SUCCESS, FAILURE, SUCCESS]

    # The next tick sees the failure; until the backoff has passed nothing is requested.
    assert requested(daemon.tick()) == []
    clock.now += HOUR - 1
    waiting = daemon.tick()
    assert requested(waiting) == []
    assert waiting.skip_message is not None and "1 waiting to retry" in waiting.skip_message
    state = state_of(daemon)
    assert state.watermark == "in/1.csv"  # held below the failed object
    assert state.settled == ["in/3.csv"]

    clock.now += 1  # attempt 2 after 1 h
    (retry,) = daemon.tick().run_requests or []
    assert retry.run_key is not None and retry.run_key.endswith("#2")
    assert daemon.finish() == [FAILURE]
    assert requested(daemon.tick()) == []
    clock.now += 2 * HOUR - 1  # attempt 3 two hours after the second failure was seen
    assert requested(daemon.tick()) == []
    clock.now += 1
    assert requested(daemon.tick()) == ["in/2-bad.csv"]
    assert daemon.finish() == [FAILURE]

    context = dg.build_sensor_context(
        instance=instance, cursor=daemon.cursor, sensor_name="landing_feed"
    )
    plan = ObjectFeed(gcs.lister, "in/", policy, clock=clock).plan(context, request_for)
    (quarantined,) = plan.quarantined
    assert quarantined.key == "in/2-bad.csv"
    assert quarantined.attempts == 3
    assert quarantined.reason is not None and "row 2 has no price" in quarantined.reason
    last_run = instance.get_run_by_id(quarantined.run_id or "")
    assert last_run is not None and last_run.tags[QUARANTINED_TAG] == "true"
    assert JsonCursorCodec().decode(plan.cursor).watermark == "in/3.csv"
    assert runs_by_key(instance) == {
        "in/1.csv": [SUCCESS],
        "in/2-bad.csv": [FAILURE] * 3,
        "in/3.csv": [SUCCESS],
    }


def test_a_retry_that_succeeds_settles_the_object(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    gcs.put("in/1.csv", b"x")
    clock = Clock()
    fixed: set[str] = set()

    def build(obj: ObjectInfo) -> dg.RunRequest:
        key = obj.key if obj.key in fixed else obj.key.replace(".csv", "-bad.csv")
        return dg.RunRequest(
            run_config={"ops": {"load_object": {"config": {"key": key}}}},
        )

    policy = FeedPolicy(backoff_base_seconds=60)
    daemon = SensorDaemon(instance, feed_sensor(gcs, clock, policy, build), load_job)
    daemon.tick()
    assert daemon.finish() == [FAILURE]
    daemon.tick()  # sees the failure
    fixed.add("in/1.csv")
    clock.now += 60
    daemon.tick()
    assert daemon.finish() == [SUCCESS]
    daemon.tick()

    state = state_of(daemon)
    assert (state.watermark, state.pending) == ("in/1.csv", {})
    assert runs_by_key(instance) == {"in/1.csv": [FAILURE, SUCCESS]}


def test_a_restarted_daemon_continues_from_the_cursor_and_run_storage(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    for key in ["in/1.csv", "in/2.csv"]:
        gcs.put(key, b"x")
    sensor = feed_sensor(gcs, Clock(), FeedPolicy())
    before = SensorDaemon(instance, sensor, load_job)
    before.tick()
    in_flight = list(before.created)

    # Restart: a new daemon with the persisted cursor; the created runs are still queued.
    after = SensorDaemon(instance, sensor, load_job, cursor=before.cursor)
    gcs.put("in/3.csv", b"x")
    assert requested(after.tick()) == ["in/3.csv"]
    after.created[:0] = in_flight
    assert after.finish() == [SUCCESS] * 3

    # Even a lost cursor requests nothing twice: run storage knows every object.
    forgetful = SensorDaemon(instance, sensor, load_job, cursor=None)
    assert requested(forgetful.tick()) == []
    assert state_of(forgetful).watermark == "in/3.csv"
    assert runs_by_key(instance) == {f"in/{n}.csv": [SUCCESS] for n in (1, 2, 3)}


def test_a_request_that_never_became_a_run_is_emitted_again_under_the_same_run_key(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    gcs.put("in/1.csv", b"x")
    daemon = SensorDaemon(instance, feed_sensor(gcs, Clock(), FeedPolicy()), load_job)
    first = daemon.evaluate()
    daemon.cursor = first.cursor  # the cursor was stored, the run was never created

    second = daemon.tick()

    assert [r.run_key for r in second.run_requests or []] == [
        r.run_key for r in first.run_requests or []
    ]
    assert daemon.finish() == [SUCCESS]
    assert requested(daemon.tick()) == []


def test_cursor_stays_bounded_while_an_old_object_holds_the_watermark(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    for n in range(8):
        gcs.put(f"in/{n:02d}.csv", b"x")
    policy = FeedPolicy(max_settled_keys=4, max_new_per_tick=3)
    daemon = SensorDaemon(instance, feed_sensor(gcs, Clock(), policy), load_job)

    assert requested(daemon.tick()) == ["in/00.csv", "in/01.csv", "in/02.csv"]
    stuck = daemon.created.pop(0)  # in/00 stays queued
    daemon.finish()
    assert requested(daemon.tick()) == ["in/03.csv"]  # the window is full: 1 pending + 3 settled
    daemon.finish()
    blocked = daemon.tick()
    state = state_of(daemon)
    assert requested(blocked) == []
    assert blocked.skip_message is not None and "beyond this tick's bound" in blocked.skip_message
    assert len(state.settled) + len(state.pending) <= 4

    daemon.created.append(stuck)
    daemon.finish()
    for _ in range(10):
        if not daemon.tick().run_requests:
            break
        daemon.finish()
        assert len(state_of(daemon).settled) + len(state_of(daemon).pending) <= 4

    assert state_of(daemon).watermark == "in/07.csv"
    assert runs_by_key(instance) == {f"in/{n:02d}.csv": [SUCCESS] for n in range(8)}


def test_a_request_builder_error_fails_that_object_alone(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    for key in ["in/1.csv", "in/2-unreadable.csv", "in/3.csv"]:
        gcs.put(key, b"x")
    clock = Clock()

    def build(obj: ObjectInfo) -> dg.RunRequest:
        if "unreadable" in obj.key:
            raise ValueError("manifest is not JSON")
        return request_for(obj)

    policy = FeedPolicy(max_attempts=2, backoff_base_seconds=60)
    daemon = SensorDaemon(instance, feed_sensor(gcs, clock, policy, build), load_job)

    assert requested(daemon.tick()) == ["in/1.csv", "in/3.csv"]
    daemon.finish()
    pending = state_of(daemon).pending["in/2-unreadable.csv"]
    assert pending.error is not None and "manifest is not JSON" in pending.error
    assert requested(daemon.tick()) == []  # not retried before its backoff
    clock.now += 60
    daemon.tick()

    state = state_of(daemon)
    assert (state.watermark, state.pending) == ("in/3.csv", {})
    assert set(runs_by_key(instance)) == {"in/1.csv", "in/3.csv"}


def test_a_cursor_no_codec_understands_is_an_error_naming_it() -> None:
    with pytest.raises(CursorError, match="not JSON"):
        JsonCursorCodec().decode("in/1.csv,in/2.csv")


# -- a location's own cursor format ------------------------------------------------------------


class ProcessedKeysCodec:
    """A location's versioned format, with migration from a comma-separated legacy cursor."""

    def decode(self, raw: str | None) -> FeedState:
        if not raw:
            return FeedState()
        if not raw.startswith("{"):
            return FeedState(settled=[key for key in raw.split(",") if key])
        data = json.loads(raw)
        return FeedState.from_json({**data, "settled": data["processed_keys"]})

    def encode(self, state: FeedState) -> str:
        fields = state.to_json()
        return json.dumps(
            {"v": 1, "processed_keys": fields.pop("settled"), "max_keys": 500, **fields}
        )


def test_a_location_plugs_in_its_own_cursor_format_and_run_keys(
    s3: Bucket, instance: dg.DagsterInstance
) -> None:
    for key in ["in/a.json", "in/b.json", "in/c.json"]:
        s3.put(key, b"{}")
    batch_ids = {"in/a.json": "batch_001", "in/b.json": "batch_002", "in/c.json": "batch_001"}

    def build(obj: ObjectInfo) -> dg.RunRequest:
        request = request_for(obj)
        return dg.RunRequest(run_key=f"ingest:{batch_ids[obj.key]}", run_config=request.run_config)

    policy = FeedPolicy(advance_watermark=False, settle_on_request=True, max_settled_keys=500)

    @dg.sensor(name="landing_feed", job=load_job)
    def manifests(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        feed = ObjectFeed(s3.lister, "in/", policy, ProcessedKeysCodec(), Clock())
        return feed.plan(context, build).sensor_result()

    daemon = SensorDaemon(instance, manifests, load_job, cursor="in/a.json")
    data = daemon.tick()
    daemon.finish()

    assert [r.run_key for r in data.run_requests or []] == ["ingest:batch_002", "ingest:batch_001"]
    cursor = json.loads(daemon.cursor or "")
    assert cursor["v"] == 1 and cursor["max_keys"] == 500
    assert cursor["processed_keys"] == ["in/a.json", "in/b.json", "in/c.json"]
    # batch_001 already had a run (for c) once a is replayed: run keys deduplicate.
    assert len(instance.get_runs()) == 2
    assert requested(daemon.tick()) == []


def test_drained_feeds_evict_the_oldest_settled_keys(
    s3: Bucket, instance: dg.DagsterInstance
) -> None:
    for n in range(5):
        s3.put(f"in/{n}.json", b"{}")
    policy = FeedPolicy(advance_watermark=False, settle_on_request=True, max_settled_keys=3)
    daemon = SensorDaemon(instance, feed_sensor(s3, Clock(), policy), load_job)

    daemon.tick()
    daemon.finish()
    state = state_of(daemon)

    assert state.settled == ["in/2.json", "in/3.json", "in/4.json"]
    # The evicted keys are recognised from run storage, never requested twice.
    assert requested(daemon.tick()) == []
    assert all(statuses == [SUCCESS] for statuses in runs_by_key(instance).values())


def test_policy_rejects_impossible_bounds() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        FeedPolicy(max_attempts=0)
    assert FeedPolicy(backoff_base_seconds=10, backoff_max_seconds=25).backoff_seconds(3) == 25
    assert Outcome.QUARANTINED == "quarantined"


# -- objects named below the watermark --------------------------------------------------------


def test_a_new_object_named_below_the_watermark_is_requested_once(
    bucket: Bucket, instance: dg.DagsterInstance
) -> None:
    for key in ["in/1.csv", "in/2.csv", "in/3.csv"]:
        bucket.put(key, b"x")
    daemon = SensorDaemon(instance, feed_sensor(bucket, Clock(), FeedPolicy()), load_job)
    daemon.tick()
    daemon.finish()
    daemon.tick()
    assert state_of(daemon).watermark == "in/3.csv"

    # A fixed copy re-delivered under a new name that sorts below the watermark.
    bucket.put("in/1-fixed.csv", b"y")
    assert requested(daemon.tick()) == ["in/1-fixed.csv"]
    assert daemon.finish() == [SUCCESS]
    for _ in range(3):
        assert requested(daemon.tick()) == []

    assert runs_by_key(instance) == {
        key: [SUCCESS] for key in ["in/1.csv", "in/1-fixed.csv", "in/2.csv", "in/3.csv"]
    }


def test_the_sweep_below_the_watermark_is_bounded_per_tick(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    for n in range(6):
        gcs.put(f"in/{n}.csv", b"x")
    policy = FeedPolicy(sweep_page_size=2)
    daemon = SensorDaemon(instance, feed_sensor(gcs, Clock(), policy), load_job)
    daemon.tick()
    daemon.finish()
    daemon.tick()
    gcs.put("in/4-late.csv", b"y")  # six objects below the watermark, two swept per tick

    found = []
    for _ in range(4):
        found += requested(daemon.tick())
        daemon.finish()

    assert found == ["in/4-late.csv"]
    assert runs_by_key(instance)["in/4-late.csv"] == [SUCCESS]


def test_a_failing_object_named_below_the_watermark_is_retried_then_quarantined(
    gcs: Bucket, instance: dg.DagsterInstance
) -> None:
    for key in ["in/1.csv", "in/2.csv"]:
        gcs.put(key, b"x")
    clock = Clock()
    policy = FeedPolicy(max_attempts=2, backoff_base_seconds=60)
    daemon = SensorDaemon(instance, feed_sensor(gcs, clock, policy), load_job)
    daemon.tick()
    daemon.finish()
    daemon.tick()

    gcs.put("in/1-bad.csv", b"y")
    assert requested(daemon.tick()) == ["in/1-bad.csv"]
    assert daemon.finish() == [FAILURE]
    daemon.tick()  # sees the failure, waits
    clock.now += 61
    assert requested(daemon.tick()) == ["in/1-bad.csv"]
    assert daemon.finish() == [FAILURE]
    context = dg.build_sensor_context(
        instance=instance, cursor=daemon.cursor, sensor_name="landing_feed"
    )
    plan = ObjectFeed(gcs.lister, "in/", policy, clock=clock).plan(context, request_for)
    quarantined = plan.quarantined
    daemon.tick()
    for _ in range(2):
        clock.now += 3600
        assert requested(daemon.tick()) == []

    assert [item.key for item in quarantined] == ["in/1-bad.csv"]
    assert runs_by_key(instance)["in/1-bad.csv"] == [FAILURE, FAILURE]


# -- the local folder --------------------------------------------------------------------------


def test_a_folder_listing_asks_the_file_system_only_about_the_files_it_yields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = folder_bucket(tmp_path)
    for day in range(1, 31):
        bucket.put(f"in/2024/01/{day:02d}.csv", b"x")
        bucket.put(f"in/2024/02/{day:02d}.csv", b"x")
    bucket.put("in/2024-notes.csv", b"x")  # sorts before in/2024/...: '-' < '/'
    stats: list[str] = []
    real_stat = os.stat

    def counting_stat(path, *args, **kwargs):
        if str(path).endswith(".csv"):  # files; the directories are stat'ed once each
            stats.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting_stat)
    after = [obj.key for obj in bucket.lister.list_after("in/", "in/2024/02/28.csv")]
    assert after == ["in/2024/02/29.csv", "in/2024/02/30.csv"]
    assert len(stats) == 2

    stats.clear()
    first = [obj.key for obj in itertools.islice(bucket.lister.list_after("in/", None), 3)]
    assert first == ["in/2024-notes.csv", "in/2024/01/01.csv", "in/2024/01/02.csv"]
    assert len(stats) == 3


def test_a_folder_listing_sees_files_added_to_a_directory_it_read_before(tmp_path: Path) -> None:
    bucket = folder_bucket(tmp_path)
    for day in range(1, 4):
        bucket.put(f"in/{day:02d}.csv", b"x")
    os.utime(tmp_path / "in", ns=(1_000_000_000, 1_000_000_000))  # read long after it changed
    assert [obj.key for obj in bucket.lister.list_after("in/", "in/01.csv")] == [
        "in/02.csv",
        "in/03.csv",
    ]

    bucket.put("in/01-fixed.csv", b"y")
    (tmp_path / "in" / "03.csv").unlink()

    assert [obj.key for obj in bucket.lister.list_after("in/", None)] == [
        "in/01-fixed.csv",
        "in/01.csv",
        "in/02.csv",
    ]


def test_a_file_moved_into_the_folder_counts_as_updated_when_it_arrived(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    old.write_bytes(b"x")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    (tmp_path / "in").mkdir()
    old.rename(tmp_path / "in" / "old.csv")

    (obj,) = FolderLister(tmp_path).list_after("in/", None)

    assert obj.updated is not None and obj.updated.timestamp() > time.time() - 3600
