"""Fireant's job types, status values and answers."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class JobType(StrEnum):
    """The event type of a report decides the Fireant endpoint its job goes to."""

    GEO = "geo"
    RING = "ring"
    BOX = "box"

    @property
    def submit_path(self) -> str:
        return f"/job_exposure_{self.value}_agg"

    @classmethod
    def parse(cls, value: str) -> "JobType":
        """Case-insensitive; ``ValueError`` naming the valid types otherwise."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            valid = ", ".join(t.value for t in cls)
            raise ValueError(f"Invalid job type '{value}'. Must be one of: {valid}") from None


class FireantJobStatus(StrEnum):
    """Fireant's status values; anything else it answers reads as ``UNKNOWN``."""

    RUNNING = "Running"
    FAILED = "Failed"
    FINISHED = "Finished"
    UNKNOWN = "Unknown"

    @property
    def is_terminal(self) -> bool:
        return self in (FireantJobStatus.FAILED, FireantJobStatus.FINISHED)

    @classmethod
    def parse(cls, value: Any) -> "FireantJobStatus":
        for status in cls:
            if isinstance(value, str) and value.strip().lower() == status.value.lower():
                return status
        return cls.UNKNOWN


class JobStatusReport(BaseModel):
    """One status answer. ``raw_status`` is the value as Fireant sent it."""

    job_id: str
    status: FireantJobStatus
    raw_status: str | None = None
    error: str | None = None
    response: dict[str, Any] = {}


class JobResults(BaseModel):
    """The result rows of a finished job, each a JSON object."""

    job_id: str
    rows: list[dict[str, Any]]
