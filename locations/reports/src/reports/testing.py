"""Helpers for tests and benchmarks of the reports location (no test framework needed)."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

from reports.catalogue import Catalogue, CatalogueEntry


@dataclass
class ManualClock:
    """A clock that stands still until the test moves it."""

    now: dt.datetime = field(
        default_factory=lambda: dt.datetime(2024, 1, 1, 10, 0, 30, tzinfo=dt.UTC)
    )

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def catalogue_of(*entries: tuple[int, str, str]) -> Catalogue:
    return Catalogue(
        reports=[CatalogueEntry(report_id=i, name=name, cron=cron) for i, name, cron in entries]
    )


def launch(
    instance: dg.DagsterInstance,
    requests: Iterable[dg.RunRequest],
    job_name: str = "process_report_job",
) -> list[str]:
    """What the daemon does with run requests: create a run per request, run key as a tag."""
    from dagster._core.test_utils import create_run_for_test

    keys = []
    for request in requests:
        tags = {**request.tags, "dagster/run_key": request.run_key}
        if request.partition_key:
            tags["dagster/partition"] = request.partition_key
        create_run_for_test(instance, job_name=request.job_name or job_name, tags=tags)
        keys.append(request.run_key)
    return keys
