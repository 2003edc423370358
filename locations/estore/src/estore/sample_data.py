"""Deterministic e-commerce event CSVs shaped like the landed files (same seed, same bytes).

    uv run python -m estore.sample_data --rows 5000 --day 2019-10-02            # local landing
    uv run python -m estore.sample_data --rows 1000000 --out /tmp/events.csv   # any path

Without ``--out`` the file goes to the landing folder of the running ``dg dev`` session
(``DAGSTER_HOME``, else the repository's ``.dagster``) as ``events/<day>.csv``, where its
``gcs_new_file_sensor`` picks it up; with no session running the command says what to run.
"""

import argparse
import csv
import os
import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from estore.csv_load import EVENT_COLUMNS, TIMESTAMP_FORMAT

LANDING_BUCKET = "estore-landing"  # the events feed's bucket (defs/feeds/events/defs.yaml)
EVENT_TYPES = ["view"] * 90 + ["cart"] * 6 + ["remove_from_cart"] * 2 + ["purchase"] * 2
CATEGORIES = [
    (2053013555631882655, "electronics.smartphone", ["samsung", "apple", "xiaomi", "huawei"]),
    (2053013554658804075, "electronics.audio.headphone", ["sony", "jbl", "apple", ""]),
    (2053013563810775923, "appliances.kitchen.washer", ["lg", "bosch", "indesit"]),
    (2053013558920217191, "computers.notebook", ["lenovo", "hp", "asus", "acer"]),
    (2053013565983425517, "", ["", "runail", "irisk"]),
]


def generate_events(rows: int, seed: int = 7, day: date = date(2019, 10, 1)) -> Iterator[list[str]]:
    """``rows`` events of one day, in time order, as CSV fields (empty string for null)."""
    rng = random.Random(seed)
    start = datetime(day.year, day.month, day.day)
    step = 86_400 / max(rows, 1)
    users = [512_000_000 + rng.randrange(10_000_000) for _ in range(max(rows // 20, 1))]
    sessions: dict[int, str] = {}
    for n in range(rows):
        user = rng.choice(users)
        if user not in sessions or rng.random() < 0.05:
            sessions[user] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        category_id, category_code, brands = rng.choice(CATEGORIES)
        product = 1_000_000 + rng.randrange(50_000)
        yield [
            (start + timedelta(seconds=int(n * step))).strftime(TIMESTAMP_FORMAT),
            rng.choice(EVENT_TYPES),
            str(product),
            str(category_id),
            category_code,
            rng.choice(brands),
            f"{(product % 997) + rng.random() * 3:.2f}",
            str(user),
            sessions[user],
        ]


def write_events_csv(path: Path, rows: int, seed: int = 7, day: date = date(2019, 10, 1)) -> Path:
    """Write the header and ``rows`` events to ``path`` (streamed, any size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EVENT_COLUMNS)
        writer.writerows(generate_events(rows, seed, day))
    return path


def drop_events(
    landing_root: Path, rows: int, seed: int = 7, day: date = date(2019, 10, 1)
) -> Path:
    """Write ``events/<day>.csv`` into the local landing bucket folder under ``landing_root``.

    Written under a dot-name first, then renamed: the sensor never sees half a file.
    """
    final = landing_root / LANDING_BUCKET / "events" / f"{day.isoformat()}.csv"
    # a partial name of its own: two writers of the same day never share one
    partial = final.with_name(f".{final.name}.{os.getpid()}.part")
    write_events_csv(partial, rows, seed, day)
    partial.rename(final)
    return final


def local_landing_root() -> Path | None:
    """The local landing folder of ``DAGSTER_HOME``'s session; ``None`` on the GCS emulator."""
    from estore.resources.factory import ingest_resources
    from platform_config import Environment

    root = getattr(ingest_resources(Environment.LOCAL)["landing"], "local_root", None)
    return Path(root) if root else None


def main() -> None:
    parser = argparse.ArgumentParser(description="Write deterministic e-commerce event CSVs.")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2019, 10, 1))
    parser.add_argument(
        "--out", type=Path, help="file to write (default: the local landing folder)"
    )
    args = parser.parse_args()
    out = args.out
    if out is None:
        from platform_config.local_demo import enter_running_session

        enter_running_session("python -m estore.sample_data")
        root = local_landing_root()
        if root is None:
            parser.error("the local landing store is the GCS emulator here: pass --out")
        out = drop_events(root, args.rows, args.seed, args.day)
    else:
        write_events_csv(out, args.rows, args.seed, args.day)
    print(f"wrote {args.rows} events to {out}")


if __name__ == "__main__":
    main()
