"""master_sensor tick time and tables claimed per second, by size of table_control.

Starts its own Postgres cluster, fills ``table_control`` with N due tables, then runs the
real sensor (Lakebase sync, atomic claim, RunRequests) tick after tick. The baseline, in
the same run and in turns with the ticks: ``LakebaseClient.claim(10)`` alone (the claim's SQL
through the client, no Dagster) on a second table_control of the same size. Prints:

    uv run python bench/master_sensor.py [--rows 1000 10000 100000] [--ticks 50] 2>/dev/null

(the sensor logs each claim on stderr; the figures go to stdout)
"""

import argparse
import statistics
import time

import dagster as dg
import psycopg

from dataloader.definitions import defs
from dataloader.resources.lakebase import LakebaseResource
from lakebase import apply_migrations
from local_services import PostgresCluster
from platform_testing import throwaway_cluster

FILL = """
INSERT INTO table_control (control_key, source_schema_name, source_table_name,
    destination_catalog, destination_schema_name, destination_table_name, db_type,
    db_config_value, next_load_date_time, registered_by)
SELECT 'bench.t' || i, 'public', 't' || i, 'bronze', 'bench', 't' || i, 'postgres',
    '{"host": "127.0.0.1", "database": "src"}', now() - (i %% 1000) * interval '1 second', 'sql'
FROM generate_series(1, %s) AS i
"""


def _filled(cluster: PostgresCluster, name: str, rows: int) -> LakebaseResource:
    dsn = cluster.create_database(name)
    apply_migrations(dsn)
    with psycopg.connect(dsn) as conn:
        conn.execute(FILL, (rows,))
        conn.execute("ANALYZE table_control")
    return LakebaseResource(host="127.0.0.1", port=cluster.port or 0, database=name)


def measure(cluster: PostgresCluster, rows: int, ticks: int, batch: int) -> dict[str, float]:
    resource = _filled(cluster, f"bench_{rows}_{batch}", rows)
    baseline = _filled(cluster, f"bench_{rows}_{batch}_claim", rows).get_client()
    definitions = dg.Definitions(sensors=[defs().resolve_sensor_def("master_sensor")])
    sensor = definitions.resolve_sensor_def("master_sensor")
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance, resources={"lakebase": resource})
    durations, claims, claimed = [], [], 0
    for _ in range(ticks):
        started = time.perf_counter()
        result = sensor(context)
        durations.append(time.perf_counter() - started)
        assert isinstance(result, dg.SensorResult)
        claimed += len(result.run_requests or [])
        started = time.perf_counter()
        assert len(baseline.claim(batch).queued) == batch
        claims.append(time.perf_counter() - started)
    total = sum(durations)
    return {
        "median_ms": statistics.median(durations) * 1000,
        "p95_ms": sorted(durations)[int(len(durations) * 0.95) - 1] * 1000,
        "claimed_per_s": claimed / total,
        "claimed": claimed,
        "claim_median_ms": statistics.median(claims) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--ticks", type=int, default=50)
    args = parser.parse_args()
    with throwaway_cluster("bench-master-") as cluster:
        print(f"master_sensor, batch size 10, {args.ticks} ticks per size")
        print(
            f"{'rows':>8} {'tick median ms':>15} {'tick p95 ms':>12} {'claimed/s':>10} "
            f"{'claim alone ms':>15} {'tick/claim':>11}"
        )
        for rows in args.rows:
            r = measure(cluster, rows, args.ticks, 10)
            print(
                f"{rows:>8} {r['median_ms']:>15.1f} {r['p95_ms']:>12.1f} "
                f"{r['claimed_per_s']:>10.0f} {r['claim_median_ms']:>15.1f} "
                f"{r['median_ms'] / r['claim_median_ms']:>10.1f}x"
            )


if __name__ == "__main__":
    main()
