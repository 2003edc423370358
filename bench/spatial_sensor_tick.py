"""spatial_sensor tick time by number of objects under ``landing-zone``, and by number of
files in one manifest.

For each size N the landing bucket holds N objects: archived manifests (``archive/manifests/``),
batch data files, a few manifests stuck in ``manifests/`` because their archive failed (the
cursor knows them), and ``--new`` new manifests for the spatial lane per tick. The real
``spatial_sensor`` (object_feed listing, manifest validation, ledger claim, file checks,
archive) ticks against moto's S3 server over HTTP and the ledger on a MongoDB wire server
(secantusdb), each in its own process; run creation (the daemon's part) is not timed.
Printed per size:

- ``tick new``: median of ticks that find ``--new`` new manifests and launch them;
- ``tick idle``: median of ticks with nothing new (listing + ledger look-up only);
- baselines measured in the same run with the minio SDK: listing ``manifests/`` alone (what
  any sensor must do) and listing the whole bucket once (what a sensor without a prefix does).

Then, per ``--files`` count, the median tick that launches one new manifest listing that
many files (all present in the landing bucket), against the 1-file tick of the same run
(target: 20,000 files within 2x).

    uv run python bench/spatial_sensor_tick.py [--sizes 1000 10000 100000] [--new 20] \
        [--files 1 20000] 2>/dev/null

moto's S3 server runs in its own process, filled over HTTP by eight threads. Note that moto
filters a prefix listing by walking every key of the bucket, where MinIO and S3 use an index:
the ``list manifests/`` column shows what the store itself costs, and ``sensor - listing``
what the sensor adds to it.
"""

import argparse
import io
import json
import logging
import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import yaml

from local_services import start_mongodb_server, start_s3_server
from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.testing import SensorDaemon, lane_daemon
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource

LANES = (
    Path(__file__).resolve().parents[1]
    / "locations/spatial_etl/src/spatial_etl/defs/lanes/defs.yaml"
)
STUCK = 10


def manifest(bucket: str, batch_id: str) -> bytes:
    return json.dumps(
        {
            "batch_id": batch_id,
            "uploader": "bench",
            "intent": "ingest_vector",
            "files": [
                {"path": f"s3://{bucket}/{batch_id}/in.gpkg", "type": "vector", "format": "GPKG"}
            ],
            "metadata": {"tags": {"dataset_id": "bench"}},
        }
    ).encode()


def fill(minio: MinIOResource, size: int, new: int) -> None:
    """N objects: half archived manifests, half data files, ``STUCK`` stuck manifests."""
    bucket = minio.landing_bucket
    client = minio.get_client()

    def put(key: str, data: bytes) -> None:
        client.put_object(bucket, key, io.BytesIO(data), len(data))

    rest = size - new * 2 - STUCK
    objects = [
        (f"archive/manifests/old_{i:07d}.json", manifest(bucket, f"old_{i}"))
        if i % 2
        else (f"old_{i:07d}/in.gpkg", b"x")
        for i in range(rest)
    ]
    objects += [
        (f"manifests/stuck_{i:03d}.json", manifest(bucket, f"stuck_{i}")) for i in range(STUCK)
    ]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: put(*item), objects))


def add_new(minio: MinIOResource, new: int, round_: int) -> None:
    bucket = minio.landing_bucket
    for i in range(new):
        batch_id = f"new_{round_:03d}_{i:03d}"
        minio.put_object(bucket, f"{batch_id}/in.gpkg", b"x")
        minio.put_object(bucket, f"manifests/{batch_id}.json", manifest(bucket, batch_id))


def timed_tick(daemon: SensorDaemon) -> tuple[float, int]:
    started = time.perf_counter()
    tick = daemon.tick("spatial_sensor")
    return daemon.last_evaluation_seconds or (time.perf_counter() - started), len(tick.created)


def resources(endpoint: str, suffix: str) -> tuple[MinIOResource, MongoDBResource]:
    os.environ.setdefault("MINIO_ROOT_PASSWORD", "bench-secret")  # moto takes any secret
    minio = MinIOResource(
        endpoint=endpoint,
        access_key="bench",
        secret_key=dg.EnvVar("MINIO_ROOT_PASSWORD"),
        landing_bucket=f"landing-{suffix}",
        lake_bucket=f"lake-{suffix}",
    )
    minio.ensure_buckets()
    mongodb = MongoDBResource(
        connection_string=dg.EnvVar("MONGO_CONNECTION_STRING"), database=f"bench_{suffix}"
    )
    return minio, mongodb


def measure_files(endpoint: str, files: int, rounds: int) -> float:
    """Median ms of a tick launching one new manifest that lists ``files`` files."""
    suffix = uuid.uuid4().hex[:8]
    minio, mongodb = resources(endpoint, suffix)
    bucket = minio.landing_bucket
    client = minio.get_client()
    keys = [f"big/part_{i:06d}.gpkg" for i in range(files)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: client.put_object(bucket, key, io.BytesIO(b"x"), 1), keys))
    entries = [{"path": f"s3://{bucket}/{key}", "type": "vector", "format": "GPKG"} for key in keys]
    lanes = ManifestLanes.model_validate(yaml.safe_load(LANES.read_text())["attributes"])
    with dg.instance_for_test() as instance:
        daemon = lane_daemon(instance, lanes, {"minio": minio, "mongodb": mongodb})
        timed_tick(daemon)  # warm: imports, first connection
        ticks = []
        for round_ in range(rounds):
            document = {
                "batch_id": f"files_{files}_{round_}",
                "uploader": "bench",
                "intent": "ingest_vector",
                "files": entries,
                "metadata": {"tags": {"dataset_id": "bench"}},
            }
            minio.put_object(
                bucket, f"manifests/files_{round_}.json", json.dumps(document).encode()
            )
            seconds, created = timed_tick(daemon)
            assert created == 1, f"the {files}-file manifest was not launched"
            ticks.append(seconds)
    return statistics.median(ticks) * 1000


def measure(endpoint: str, size: int, new: int, rounds: int, whole_max: int) -> dict[str, float]:
    suffix = uuid.uuid4().hex[:8]
    minio, mongodb = resources(endpoint, suffix)
    fill(minio, size, new)
    lanes = ManifestLanes.model_validate(yaml.safe_load(LANES.read_text())["attributes"])
    with dg.instance_for_test() as instance:
        daemon = lane_daemon(instance, lanes, {"minio": minio, "mongodb": mongodb})
        stuck = [f"manifests/stuck_{i:03d}.json" for i in range(STUCK)]
        daemon.cursors["spatial_sensor"] = json.dumps(
            {"v": 1, "processed_keys": stuck, "max_keys": 500}
        )
        timed_tick(daemon)  # warm: imports, first connection
        busy, idle, launched = [], [], 0
        for round_ in range(rounds):
            add_new(minio, new, round_)
            seconds, created = timed_tick(daemon)
            busy.append(seconds)
            launched += created
            idle.append(timed_tick(daemon)[0])
        assert launched == new * rounds, f"launched {launched}, expected {new * rounds}"
        client = minio.get_client()
        prefix = []
        listed = 0
        for _ in range(rounds):
            started = time.perf_counter()
            listed = sum(1 for _ in client.list_objects(minio.landing_bucket, "manifests/", True))
            prefix.append(time.perf_counter() - started)
        whole = []
        if size <= whole_max:  # once, and not past whole_max: it is the slow one
            started = time.perf_counter()
            total = sum(1 for _ in client.list_objects(minio.landing_bucket, recursive=True))
            whole.append(time.perf_counter() - started)
            assert total >= size
        assert listed == STUCK
    return {
        "busy": statistics.median(busy) * 1000,
        "idle": statistics.median(idle) * 1000,
        "prefix": statistics.median(prefix) * 1000,
        "whole": statistics.median(whole) * 1000 if whole else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--new", type=int, default=20, help="new manifests per busy tick")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--files", type=int, nargs="*", default=[1, 20_000], help="files per manifest to time"
    )
    parser.add_argument(
        "--whole-max", type=int, default=10_000, help="largest size to list whole (it is slow)"
    )
    args = parser.parse_args()
    logging.getLogger("dagster").setLevel(logging.ERROR)
    server = start_s3_server()
    ledger = start_mongodb_server()
    os.environ["MONGO_CONNECTION_STRING"] = ledger.url
    endpoint = f"127.0.0.1:{server.port}"
    try:
        results = {
            size: measure(endpoint, size, args.new, args.rounds, args.whole_max)
            for size in args.sizes
        }
        by_files = {files: measure_files(endpoint, files, args.rounds) for files in args.files}
    finally:
        server.stop()
        ledger.stop()
    print(f"spatial_sensor, {args.new} new manifests per busy tick, median of {args.rounds}")
    print(
        f"{'objects':>8} {'tick new ms':>12} {'tick idle ms':>13} "
        f"{'sensor - listing ms':>20} {'list manifests/ ms':>19} {'list bucket ms':>15}"
    )
    for size, r in results.items():
        print(
            f"{size:>8} {r['busy']:>12.1f} {r['idle']:>13.1f} {r['idle'] - r['prefix']:>20.1f} "
            f"{r['prefix']:>19.1f} {r['whole']:>15.1f}"
        )
    first, last = results[args.sizes[0]], results[args.sizes[-1]]
    print(
        f"{args.sizes[-1]} vs {args.sizes[0]} objects: tick new x{last['busy'] / first['busy']:.2f}, "
        f"tick idle x{last['idle'] / first['idle']:.2f} (target <= 2), "
        f"listing manifests/ alone x{last['prefix'] / first['prefix']:.2f}"
    )
    if by_files:
        print(f"\nspatial_sensor, one new manifest per tick, median of {args.rounds}")
        print(f"{'files':>8} {'tick ms':>10} {'vs first':>9}")
        base = by_files[args.files[0]]
        for files, ms in by_files.items():
            print(f"{files:>8} {ms:>10.1f} {ms / base:>8.2f}x")
        print(
            f"{args.files[-1]} files vs {args.files[0]}: x{by_files[args.files[-1]] / base:.2f} "
            "(target <= 2)"
        )


if __name__ == "__main__":
    main()
