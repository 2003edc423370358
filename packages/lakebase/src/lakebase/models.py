"""Rows of the control database, as typed values."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """``table_control.last_status``; NULL (``None``) means never run or reset for a retry."""

    QUEUED = "Queued"
    IN_PROGRESS = "In Progress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class LoadStrategy(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass(frozen=True)
class TableControl:
    """One ``table_control`` row: what to load, from where, to where, and its state."""

    config_id: int
    control_key: str
    source_catalog: str
    source_schema_name: str
    source_table_name: str
    destination_catalog: str
    destination_schema_name: str
    destination_table_name: str
    db_type: str
    db_config_value: dict[str, Any]
    db_kv_scope: str
    load_strategy: str
    incremental_column: str | None
    incremental_value: str | None
    cron_schedule: str
    is_active: bool
    next_load_date_time: datetime
    last_status: str | None
    last_status_date_time: datetime | None
    last_status_message: str | None
    last_load_date_time: datetime | None
    last_success_date_time: datetime | None
    last_rows_loaded: int | None
    last_dagster_run: str | None
    last_databricks_run: str | None
    retry_count: int
    requires_review: bool
    staging_model_processed: bool
    registered_by: str
    claim_metadata_id: int | None = None
    claim_run_id: str | None = None


@dataclass(frozen=True)
class RejectedRow:
    """A due row the claim refused: it is ``Failed`` and flagged for review, never queued."""

    config_id: int
    control_key: str
    message: str


@dataclass(frozen=True)
class ClaimBatch:
    """One claim: the loads queued, and the rows failed by validation instead."""

    queued: list["QueuedLoad"]
    rejected: list[RejectedRow]


@dataclass(frozen=True)
class RetryPolicy:
    """How failed loads are retried: ``base_delay * 2**(n-1)`` after the n-th failure in a
    row (capped at ``max_delay``); the ``max_retries``-th failure flags the row for review."""

    max_retries: int = 3
    base_delay: timedelta = timedelta(minutes=15)
    max_delay: timedelta = timedelta(hours=6)


@dataclass(frozen=True)
class QueuedLoad:
    """A table the master sensor claimed: its row and the history record opened for it."""

    table: TableControl
    metadata_id: int


@dataclass(frozen=True)
class TableRegistration:
    """What an analyst declares to register a table load (the YAML component's fields)."""

    control_key: str
    source_schema_name: str
    source_table_name: str
    destination_catalog: str
    destination_schema_name: str
    destination_table_name: str
    db_type: str
    db_config_value: dict[str, Any]
    source_catalog: str = ""
    db_kv_scope: str = ""
    load_strategy: str = LoadStrategy.FULL
    incremental_column: str | None = None
    cron_schedule: str = "0 2 * * *"
    is_active: bool = True


@dataclass(frozen=True)
class SyncResult:
    """What a registration sync changed: config ids written, control keys deactivated.

    ``errors`` names the declarations that could not be written; ``held_back`` says why
    unlisted tables were *not* deactivated (a sync with errors, or one that declares nothing,
    never deactivates every declared table).
    """

    registered: list[int]
    deactivated: list[str]
    errors: list[str] = field(default_factory=list)
    held_back: str | None = None
