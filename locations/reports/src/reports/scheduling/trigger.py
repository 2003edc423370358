"""What the three approaches share: the catalogue at tick time and the evaluation limits."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from reports.catalogue import CatalogueEntry
from reports.catalogue_state import CatalogueState
from reports.scheduling.tick import Alert, CatchupLimits

Clock = Callable[[], dt.datetime]

NO_CATALOGUE = (
    "No report catalogue yet: daily_report_discovery_sensor writes it on its first tick "
    "(or run `dg utils refresh-defs-state` in locations/reports)"
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class TriggerSettings:
    """How one approach evaluates: where the catalogue is, limits, and the clock."""

    state: CatalogueState
    limits: CatchupLimits
    status: dg.DefaultSensorStatus
    clock: Clock = utc_now
    alert: Alert | None = None  # a report whose evaluation raised (once per process)
    approach_note: str = ""  # which approach is active and where it was chosen, for the UI

    def reports(self, instance: dg.DagsterInstance) -> list[CatalogueEntry] | None:
        """The catalogue as discovery last stored it (cron changes apply at once)."""
        catalogue = self.state.read(instance)
        return None if catalogue is None else catalogue.reports
