"""Vector ingest throughput (read, repair, reproject, GeoParquet) against ``ogr2ogr``.

Generates a GeoPackage of N polygons in EPSG:3857 (every 10th a self-intersecting bow tie),
then times, each in its own child process so peak RSS belongs to that conversion alone:

- ingest: ``GDALResource.vector_to_geoparquet`` (pyogrio Arrow stream, shapely make_valid,
  pyproj to EPSG:4326, GeoParquet), what ``raw_spatial_asset`` runs;
- ogr2ogr: ``ogr2ogr -makevalid -t_srs EPSG:4326`` to FlatGeobuf without a spatial index
  (Debian's GDAL has no Parquet driver; FlatGeobuf is its cheapest comparable output).

Runs alternate and the best of ``--repeat`` counts, to damp a shared machine's noise. The
ingest is timed twice: the conversion alone, and its whole process (Python, dagster and GDAL
imports included); the ratio uses the whole process, as ogr2ogr's time includes its start.

    uv run python bench/spatial_vector_ingest.py [--features 1000000] [--repeat 2]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(argv: list[str]) -> tuple[float, float, str]:
    """Seconds, peak RSS in MB and stdout of a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout = process.stdout.read().decode() if process.stdout else ""
    stderr = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({process.returncode}): {stderr[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout


def child_ingest(source: str, destination: str) -> None:
    from spatial_platform import GDALResource

    started = time.perf_counter()
    result = GDALResource().vector_to_geoparquet(source, destination)
    seconds = time.perf_counter() - started
    print(json.dumps({"features": result.feature_count, "seconds": seconds}))


def child_generate(destination: str, features: int) -> None:
    from spatial_platform.samples import write_sample_vector

    write_sample_vector(destination, features, invalid_every=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child-ingest", nargs=2, metavar=("SOURCE", "DESTINATION"))
    parser.add_argument("--child-generate", metavar="DESTINATION")
    args = parser.parse_args()
    if args.child_ingest:
        child_ingest(*args.child_ingest)
        return
    if args.child_generate:
        child_generate(args.child_generate, args.features)
        return
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        sys.exit("ogr2ogr is not installed: apt-get install -y gdal-bin")

    # The parent stays small: a child forked from it starts with its memory counted as RSS.
    with tempfile.TemporaryDirectory(prefix="bench-vector-") as folder:
        work = Path(folder)
        source = work / "parcels.gpkg"
        seconds, _, _ = timed(
            [
                sys.executable,
                __file__,
                "--child-generate",
                str(source),
                "--features",
                str(args.features),
            ]
        )
        print(
            f"{args.features:,} polygons, EPSG:3857, 10% invalid: "
            f"{source.stat().st_size / 1e6:.0f} MB GeoPackage written in {seconds:.1f}s"
        )
        ingest_runs, ogr_runs, conversions = [], [], []
        for attempt in range(args.repeat):
            parquet, fgb = work / f"out{attempt}.parquet", work / f"out{attempt}.fgb"
            seconds, peak, out = timed(
                [sys.executable, __file__, "--child-ingest", str(source), str(parquet)]
            )
            figures = json.loads(out.strip().splitlines()[-1])
            assert figures["features"] == args.features, figures
            conversions.append(figures["seconds"])
            ingest_runs.append((seconds, peak, parquet.stat().st_size))
            seconds, peak, _ = timed(
                [
                    ogr2ogr,
                    "-f",
                    "FlatGeobuf",
                    str(fgb),
                    str(source),
                    "-t_srs",
                    "EPSG:4326",
                    "-makevalid",
                    "-nlt",
                    "PROMOTE_TO_MULTI",
                    "-lco",
                    "SPATIAL_INDEX=NO",
                ]
            )
            ogr_runs.append((seconds, peak, fgb.stat().st_size))
            parquet.unlink()
            fgb.unlink()
        ingest, ogr = min(ingest_runs), min(ogr_runs)
        print(f"{'':>10} {'best s':>8} {'features/s':>12} {'peak MB':>8} {'output MB':>10}")
        for name, (seconds, peak, size) in (("ingest", ingest), ("ogr2ogr", ogr)):
            print(
                f"{name:>10} {seconds:>8.2f} {args.features / seconds:>12,.0f} "
                f"{peak:>8.0f} {size / 1e6:>10.0f}"
            )
        conversion = min(conversions)
        print(
            f"{'(convert)':>10} {conversion:>8.2f} {args.features / conversion:>12,.0f}"
            "   the conversion alone, without the process start and imports"
        )
        print(f"ingest / ogr2ogr throughput: {ogr[0] / ingest[0]:.2f}x (target >= 0.8x)")
        print(
            f"all runs, seconds: ingest {[round(r[0], 2) for r in ingest_runs]}, "
            f"ogr2ogr {[round(r[0], 2) for r in ogr_runs]}"
        )


if __name__ == "__main__":
    main()
