"""Lanes and the routing of intents to them, and the traffic controller.

A lane is one sensor launching one job for a set of intents. Every intent routes to at most
one lane; a manifest whose intent no lane routes, or that is not a valid manifest at all, is
quarantined by the one lane marked ``quarantine`` (the legacy ``ingest`` lane by default),
so each manifest has exactly one owner.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
from pydantic import Field, field_validator

ROUTER_ENV_VAR = "MANIFEST_ROUTER_ENABLED_LANES"
DEFAULT_ROUTER_LANES = frozenset({"ingest"})


class Lane(dg.Model, dg.Resolvable):
    """One lane: which intents it takes, which sensor and job, how often it ticks."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="Lane name (run key prefix)")
    sensor: str = Field(description="Name of the sensor that launches the lane's job")
    job: str = Field(description="Name of the job the sensor launches")
    intents: list[str] = Field(description="Intents routed to this lane")
    minimum_interval_seconds: int = Field(30, ge=5, description="Sensor interval")
    enabled: bool = Field(
        True,
        description="A disabled lane still takes its manifests: it records them as canceled "
        "and archives them, launching nothing",
    )
    traffic_controlled: bool = Field(
        False,
        description=f"Also enabled only while {ROUTER_ENV_VAR} names the lane "
        "(unset: 'ingest' only)",
    )
    partitioned: bool = Field(
        True, description="The job's assets are partitioned by dataset_id (dynamic partitions)"
    )
    check_files_exist: bool = Field(
        True, description="Quarantine a manifest whose files are missing before launching"
    )
    check_join_assets: bool = Field(
        False, description="Quarantine a join whose spatial/tabular assets are not in the ledger"
    )
    quarantine: bool = Field(
        False, description="This lane's sensor also records and archives invalid manifests"
    )

    @field_validator("intents")
    @classmethod
    def _intents_named(cls, intents: list[str]) -> list[str]:
        if not intents:
            raise ValueError("a lane needs at least one intent")
        return intents


class RouterConfigError(ValueError):
    """The lanes or the traffic controller variable are inconsistent."""


@dataclass(frozen=True)
class Routing:
    """The whole routing table; built once from the lanes of the YAML component."""

    lanes: tuple[Lane, ...]

    def __post_init__(self) -> None:
        problems = []
        for attribute in ("name", "sensor"):
            values = [getattr(lane, attribute) for lane in self.lanes]
            doubled = sorted({v for v in values if values.count(v) > 1})
            if doubled:
                problems.append(f"lane {attribute}s used twice: {doubled}")
        owners: dict[str, str] = {}
        for lane in self.lanes:
            for intent in lane.intents:
                if intent in owners:
                    problems.append(
                        f"intent {intent!r} is routed to both {owners[intent]!r} and {lane.name!r}"
                    )
                owners[intent] = lane.name
        quarantine = [lane.name for lane in self.lanes if lane.quarantine]
        if len(quarantine) != 1:
            problems.append(f"exactly one lane must set quarantine: true, got {quarantine}")
        if problems:
            raise RouterConfigError("; ".join(problems))

    @classmethod
    def of(cls, lanes: Sequence[Lane]) -> "Routing":
        return cls(tuple(lanes))

    def lane_for(self, intent: str) -> Lane | None:
        return next((lane for lane in self.lanes if intent in lane.intents), None)

    def lane_named(self, name: str) -> Lane:
        return next(lane for lane in self.lanes if lane.name == name)

    @property
    def quarantine_lane(self) -> Lane:
        return next(lane for lane in self.lanes if lane.quarantine)

    @property
    def intents(self) -> list[str]:
        return sorted(intent for lane in self.lanes for intent in lane.intents)

    def unknown_intent_reason(self, intent: str) -> str:
        return f"intent: {intent!r} is not routed to any lane; routed intents: {self.intents}"


def _router_names(environ: Mapping[str, str] | None) -> tuple[str, set[str]]:
    raw = (os.environ if environ is None else environ).get(ROUTER_ENV_VAR, "")
    return raw, {part.strip().lower() for part in raw.split(",") if part.strip()}


def router_enabled_lanes(
    known: Sequence[str], environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """Lanes ``MANIFEST_ROUTER_ENABLED_LANES`` enables (comma-separated; unset: ``ingest``).

    Names that are not lanes are ignored (``router_config_problem`` names them), so a typo
    never stops routing; with no valid name left, the default applies.
    """
    _, names = _router_names(environ)
    valid = names & set(known)
    return frozenset(valid) if valid else DEFAULT_ROUTER_LANES


def router_config_problem(
    known: Sequence[str], environ: Mapping[str, str] | None = None
) -> str | None:
    """What is wrong with ``MANIFEST_ROUTER_ENABLED_LANES``, naming the bad values, or ``None``."""
    raw, names = _router_names(environ)
    unknown = sorted(names - set(known))
    if not unknown:
        return None
    return (
        f"{ROUTER_ENV_VAR}={raw!r} names unknown lane(s) {unknown}, ignored (enabled lanes: "
        f"{sorted(router_enabled_lanes(known, environ))}): use a comma-separated list of "
        f"{sorted(known)}, or unset it for 'ingest' only"
    )


def lane_disabled_reason(
    lane: Lane, known: Sequence[str], environ: Mapping[str, str] | None = None
) -> str | None:
    """Why ``lane`` launches nothing right now, or ``None`` when it is enabled."""
    if not lane.enabled:
        return f"lane {lane.name!r} is disabled in the lanes YAML (enabled: false)"
    if lane.traffic_controlled:
        enabled = router_enabled_lanes(known, environ)
        if lane.name not in enabled:
            return (
                f"lane {lane.name!r} is disabled by {ROUTER_ENV_VAR} "
                f"(enabled lanes: {sorted(enabled)})"
            )
    return None
