"""Delete finished runs older than a number of days from the Dagster instance.

Dagster purges old sensor and schedule ticks itself (`retention` in dagster.yaml) but keeps
every run and its event log forever. This runs daily next to the daemon (a systemd timer, a
Kubernetes CronJob, the compose `purge-runs` service) with the instance's own dagster.yaml:

    python purge_runs.py --older-than-days 90

Runs still queued, starting or in progress are never touched.
"""

import argparse
from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES

BATCH = 500


def purge_runs(instance: dg.DagsterInstance, older_than: timedelta) -> int:
    """Delete finished runs created before now - older_than; return how many went."""
    cutoff = datetime.now(UTC) - older_than
    deleted = 0
    while True:
        records = instance.get_run_records(
            filters=dg.RunsFilter(statuses=list(FINISHED_STATUSES), created_before=cutoff),
            limit=BATCH,
        )
        for record in records:
            instance.delete_run(record.dagster_run.run_id)
        deleted += len(records)
        if len(records) < BATCH:
            return deleted


def main() -> None:
    parser = argparse.ArgumentParser(description="Delete finished runs older than N days.")
    parser.add_argument("--older-than-days", type=int, required=True)
    days = parser.parse_args().older_than_days
    if days < 1:
        parser.error(f"--older-than-days must be at least 1, got {days}")
    with dg.DagsterInstance.get() as instance:
        count = purge_runs(instance, timedelta(days=days))
    print(f"purged {count} finished runs older than {days} days")


if __name__ == "__main__":
    main()
