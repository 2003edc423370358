"""``gcs_new_file_sensor`` tick time with 1k, 10k and 100k files in the bucket and 10 new ones.

Two landing stores, in the same run: the GCS emulator (``local_services``, over HTTP) and the
local folder of ``./scripts/dev`` (``FolderLister``). For each size the store holds N settled
files and 10 new ones after them (written straight into the emulator's data directory:
uploading 100k files one by one through it takes far longer than the benchmark), and the
cursor's watermark sits on the last settled file, with the sweep below the watermark under
way. A tick is one full sensor evaluation: list after the watermark, sweep one page below it,
look up the new files in run storage, plan, and encode the cursor; nothing is launched, so
every repeat measures the same tick. The baseline, measured in the same run, is what a sensor
that lists the whole bucket pays just to list it once. The listing after the watermark is
also timed alone: the emulator scans its in-memory index on every listing (real GCS seeks an
ordered index), and that share grows with the bucket.

    uv run python bench/gcs_new_file_sensor.py [--modes gcs folder] [--sizes 1000 10000 100000] [--repeat 5]
"""

import argparse
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path

import dagster as dg

from estore.resources.landing import LandingStore
from estore.sensors.gcs_new_file import FeedSpec, build_gcs_new_file_sensor
from local_services import start_gcs_emulator
from object_feed import FeedPolicy, FeedState, FolderLister, JsonCursorCodec, gcs_client

BUCKET = "estore-landing"
NEW = 10


def key(n: int) -> str:
    return f"events/{n:07d}.csv"


def seed_emulator(data_dir: Path, size: int) -> None:
    """An emulator data directory holding ``size`` objects, written straight into its index."""
    server = start_gcs_emulator(data_dir=data_dir)
    try:
        client = gcs_client(server.url)
        client.create_bucket(BUCKET).blob(key(0)).upload_from_string(b"x")
    finally:
        server.stop()
    (meta_path,) = data_dir.rglob(".meta")
    meta = json.loads(meta_path.read_text())
    template = meta["objects"][BUCKET][key(0)]
    for n in range(1, size + NEW):
        obj = copy.deepcopy(template)
        obj.update(name=key(n), id=f"{BUCKET}/{key(n)}/{n}", generation=str(n))
        meta["objects"][BUCKET][key(n)] = obj
    meta_path.write_text(json.dumps(meta))


def seed_folder(root: Path, size: int) -> None:
    """A local landing folder holding ``size`` + ``NEW`` files."""
    events = root / BUCKET / "events"
    events.mkdir(parents=True)
    for n in range(size + NEW):
        (events / key(n).removeprefix("events/")).write_bytes(b"x")


def steady_cursor(size: int) -> str:
    """The watermark on the last settled file, a sweep pass starting after the files landed
    (so every size sweeps a full page below the watermark)."""
    now = time.time()
    state = FeedState(watermark=key(size - 1), sweep_started=now, sweep_since=now)
    return JsonCursorCodec().encode(state)


def time_ticks(resources: dict, size: int, repeat: int, before_tick=None) -> float:
    feed = FeedSpec("events", BUCKET, "events/", "estore_raw.events", FeedPolicy(), "#bench")
    sensor = build_gcs_new_file_sensor("gcs_new_file_sensor", feed)
    cursor = steady_cursor(size)
    ticks = []
    with dg.instance_for_test() as instance:
        for _ in range(repeat):
            context = dg.build_sensor_context(
                instance=instance, cursor=cursor, sensor_name=sensor.name, resources=resources
            )
            if before_tick is not None:
                before_tick()
            started = time.perf_counter()
            data = sensor.evaluate_tick(context)
            ticks.append(time.perf_counter() - started)
            assert len(data.run_requests or []) == NEW, data.skip_message
    return statistics.median(ticks)


def time_listing_after(lister, size: int, repeat: int) -> float:
    after = []
    for _ in range(repeat):
        started = time.perf_counter()
        assert len(list(lister.list_after("events/", key(size - 1)))) == NEW
        after.append(time.perf_counter() - started)
    return statistics.median(after)


def measure_gcs(size: int, repeat: int, workdir: Path) -> tuple[float, float, float]:
    data_dir = workdir / f"gcs-{size}"
    seed_emulator(data_dir, size)
    server = start_gcs_emulator(data_dir=data_dir)
    try:
        client = gcs_client(server.url)
        store = LandingStore(endpoint=server.url)
        tick = time_ticks({"landing": store}, size, repeat)
        after = time_listing_after(store.lister(BUCKET), size, repeat)
        started = time.perf_counter()
        listed = sum(1 for _ in client.list_blobs(BUCKET, prefix="events/"))
        listing = time.perf_counter() - started
        assert listed == size + NEW
        return tick, after, listing
    finally:
        server.stop()


def measure_folder(size: int, repeat: int, workdir: Path) -> tuple[float, float, float]:
    root = workdir / f"folder-{size}"
    seed_folder(root, size)
    store = LandingStore(local_root=str(root))
    events = root / BUCKET / "events"
    changes = iter(range(repeat))

    def change_directory() -> None:
        """A dot-file lands (ignored, but the directory changed): the names are read again."""
        (events / f".part-{next(changes)}").write_bytes(b"")

    changed = time_ticks({"landing": store}, size, repeat, change_directory)
    print(
        f"folder {size:>7} files + {NEW} new: tick right after the directory changed "
        f"{changed * 1000:7.1f} ms; median of {repeat}"
    )
    tick = time_ticks({"landing": store}, size, repeat)
    after = time_listing_after(store.lister(BUCKET), size, repeat)
    started = time.perf_counter()
    listed = sum(1 for _ in FolderLister(root / BUCKET).list_after("events/", None))
    listing = time.perf_counter() - started
    assert listed == size + NEW
    return tick, after, listing


MODES = {"gcs": measure_gcs, "folder": measure_folder}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=["gcs", "folder"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="estore-sensor-bench-") as tmp:
        for mode in args.modes:
            results = {}
            for size in args.sizes:
                results[size] = MODES[mode](size, args.repeat, Path(tmp))
                tick, after, listing = results[size]
                print(
                    f"{mode:>6} {size:>7} files + {NEW} new: tick {tick * 1000:7.1f} ms, "
                    f"of which listing after the watermark {after * 1000:6.1f} ms (baseline, "
                    f"listing the whole bucket once: {listing * 1000:8.1f} ms); "
                    f"medians of {args.repeat}"
                )
            smallest, largest = min(results), max(results)
            ratio = results[largest][0] / results[smallest][0]
            print(f"{mode:>6} tick at {largest} / tick at {smallest}: {ratio:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
