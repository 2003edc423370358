"""What the Django API returns, as typed models.

Unknown fields are kept (``extra="allow"``) so the schema transformer sees everything the
API sends; only the fields the orchestrator relies on are typed.
"""

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Report(BaseModel):
    """One catalogue entry: a report and its cron schedule.

    ``cron`` is the raw expression as stored in Django; it is not validated here (a bad cron
    is the scheduler's to reject, per report). ``active=False`` reports are never scheduled.
    A report without a name is called ``Report <id>``.
    """

    model_config = ConfigDict(extra="allow")

    id: int = Field(strict=True)
    name: str = ""
    cron: str | None = None
    active: bool = True
    event_group: int | None = None
    updated_at: dt.datetime | None = None

    @model_validator(mode="after")
    def _default_name(self) -> "Report":
        if not self.name.strip():
            self.name = f"Report {self.id}"
        return self


class CatalogueEntryError(BaseModel):
    """A catalogue entry that is not a valid ``Report``: kept with the reason, never dropped silently."""

    index: int = Field(description="position in the listing, across pages")
    report_id: Any = Field(default=None, description="its id field as sent, if any")
    reason: str
    entry: Any


class ReportCatalogue(BaseModel):
    """Every report the API lists, plus the entries that could not be read as reports.

    ``count`` is the total the API announced (``count`` of its last page), when it did.
    """

    reports: list[Report]
    rejected: list[CatalogueEntryError] = []
    pages: int = 1
    count: int | None = None

    @property
    def incomplete_reason(self) -> str | None:
        """Why this listing may not hold every report (``None`` when it is whole and valid):
        a malformed entry, or fewer entries than the API announced (a truncated page)."""
        reasons = []
        if self.rejected:
            reasons.append(f"{len(self.rejected)} malformed entries")
        listed = len(self.reports) + len(self.rejected)
        if self.count is not None and listed != self.count:
            reasons.append(f"{listed} entries listed but the API announced {self.count}")
        return "; ".join(reasons) or None


class Modifier(BaseModel):
    """The dates a report runs for (``fx_date`` and ``as_at_date``)."""

    model_config = ConfigDict(extra="allow")

    id: int
    fx_date: dt.date
    as_at_date: dt.date


class Event(BaseModel):
    """One row of a report's event group; ``event_type`` is geo, ring or box."""

    model_config = ConfigDict(extra="allow")

    event_type: str | None = None


class EventGroup(BaseModel):
    model_config = ConfigDict(extra="allow")

    events: list[Event] = []


class ReportData(BaseModel):
    """``GET /api/reports/{id}/modifiers/{modifier_id}/all``: the input of one Fireant job.

    ``report`` stays a plain dict: the schema transformer copies its fields into the payload.
    ``raw`` is the response exactly as received (``{"data": ..., "meta": ...}``).
    """

    report: dict[str, Any]
    modifier: Modifier
    eventgroup: EventGroup
    meta: dict[str, Any] | None = None
    raw: dict[str, Any]


class JobRecordStatus(StrEnum):
    """Status of a job record in Django (Fireant's Running/Failed/Finished map onto these).

    ``CANCELLED``: the Dagster run working on the job was cancelled before it ended.
    """

    SUBMITTED = "submitted"
    RUNNING = "running"
    FAILED = "failed"
    COMPLETED = "completed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """An outcome: nothing but a later run's own result may change it."""
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        JobRecordStatus.COMPLETED,
        JobRecordStatus.FAILED,
        JobRecordStatus.TIMEOUT,
        JobRecordStatus.CANCELLED,
    }
)


class JobRecord(BaseModel):
    """A Fireant job as Django records it (``/api/jobs/``)."""

    model_config = ConfigDict(extra="allow")

    id: int
    report_id: int
    report_modifier_id: int | None = None
    fireant_jobid: str
    status: JobRecordStatus = JobRecordStatus.SUBMITTED
    results_url: str | None = None
    dagster_run_id: str | None = None
    status_message: str | None = None
