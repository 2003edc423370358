"""The report catalogue: which reports exist and when each is due, as discovery last saw it.

It is the state of the location's state-backed component: discovery writes it, definitions
(partitions, one job per report) and every due-run evaluation read it. Comparing two
catalogues gives the spec's change messages (report added, report removed, cron changed).
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from reports.scheduling.due import cron_error


class CatalogueEntry(BaseModel):
    """A report with a cron schedule. ``cron_error`` says why its cron cannot be used."""

    report_id: int
    name: str
    cron: str
    cron_error: str | None = None

    @property
    def label(self) -> str:
        return f"report {self.report_id} ({self.name})"


class RejectedEntry(BaseModel):
    """A catalogue entry that is not a report; kept so the alert can show it."""

    index: int
    report_id: Any = None
    reason: str


class Catalogue(BaseModel):
    """``incomplete`` says why the listing behind it may miss reports (malformed entries, a
    truncated page); such a listing never removes a report (see ``keeping_absent``)."""

    reports: list[CatalogueEntry] = []
    rejected: list[RejectedEntry] = []
    discovered_at: dt.datetime | None = None
    incomplete: str | None = None

    @property
    def by_id(self) -> dict[int, CatalogueEntry]:
        return {entry.report_id: entry for entry in self.reports}

    @property
    def partition_keys(self) -> list[str]:
        return [str(entry.report_id) for entry in self.reports]

    @classmethod
    def from_reports(
        cls,
        reports: Iterable[Any],
        rejected: Iterable[Any] = (),
        discovered_at: dt.datetime | None = None,
        incomplete: str | None = None,
    ) -> "Catalogue":
        """From ``django_api.Report``-like objects: active ones with a schedule, crons checked.

        A report without a schedule (``cron`` null) is not scheduled; one whose cron is set
        but cannot produce a due time (empty, never fires, ...) is kept with ``cron_error``,
        so it is reported instead of silently dropped.
        """
        entries = [
            CatalogueEntry(
                report_id=report.id,
                name=report.name,
                cron=report.cron.strip(),
                cron_error=cron_error(report.cron),
            )
            for report in reports
            if getattr(report, "active", True) and report.cron is not None
        ]
        entries.sort(key=lambda entry: entry.report_id)
        return cls(
            reports=entries,
            rejected=[
                RejectedEntry(index=bad.index, report_id=bad.report_id, reason=bad.reason)
                for bad in rejected
            ],
            discovered_at=discovered_at or dt.datetime.now(dt.UTC),
            incomplete=incomplete,
        )

    def keeping_absent(
        self, previous: "Catalogue | None"
    ) -> tuple["Catalogue", list[CatalogueEntry]]:
        """This catalogue, plus ``previous``'s reports it lacks when it is ``incomplete``.

        A report is removed only when a complete, valid listing no longer holds it: a report
        absent from an incomplete one may be the malformed entry or on the missing page.
        Returns the catalogue to store and the reports kept that way.
        """
        if self.incomplete is None or previous is None:
            return self, []
        listed = self.by_id
        kept = [entry for entry in previous.reports if entry.report_id not in listed]
        if not kept:
            return self, []
        reports = sorted([*self.reports, *kept], key=lambda entry: entry.report_id)
        return self.model_copy(update={"reports": reports}), kept

    def problems(self) -> list[str]:
        """One line per entry that cannot be scheduled, naming it, its cron and the fix."""
        lines = [
            f"Catalogue entry #{bad.index} (id {bad.report_id!r}) rejected: {bad.reason}; fix "
            "it in the Django admin (until then no report is removed from the catalogue)"
            for bad in self.rejected
        ]
        lines += [
            f"Report {entry.report_id} ({entry.name}) will not be scheduled: its cron "
            f"'{entry.cron}' cannot produce a due time ({entry.cron_error}); fix the cron in "
            "the Django admin, the next discovery picks it up"
            for entry in self.reports
            if entry.cron_error
        ]
        return lines


class CronChange(BaseModel):
    report_id: int
    name: str
    old_cron: str
    new_cron: str


class NameChange(BaseModel):
    report_id: int
    old_name: str
    new_name: str


class CatalogueChanges(BaseModel):
    """What changed between two discoveries, with one message per change."""

    added: list[CatalogueEntry] = Field(default_factory=list)
    removed: list[CatalogueEntry] = Field(default_factory=list)
    cron_changes: list[CronChange] = Field(default_factory=list)
    name_changes: list[NameChange] = Field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.cron_changes or self.name_changes)

    @property
    def needs_reload(self) -> bool:
        """New or removed reports change the definitions (partitions, per-report jobs)."""
        return bool(self.added or self.removed)

    def lines(self) -> list[tuple[int, str]]:
        """``(report id, message)`` for every change, added first."""
        lines = [
            (
                e.report_id,
                f"Report added: {e.label} with cron '{e.cron}'; it is scheduled from the next "
                f"evaluation, and its job process_report_{e.report_id} appears after the code "
                "location reloads.",
            )
            for e in self.added
        ]
        lines += [
            (
                e.report_id,
                f"Report removed: {e.label} (cron was '{e.cron}'); no further runs are "
                f"scheduled for it, and process_report_{e.report_id} disappears after the code "
                "location reloads.",
            )
            for e in self.removed
        ]
        lines += [
            (
                c.report_id,
                f"Cron changed: report {c.report_id} ({c.name}) '{c.old_cron}' -> "
                f"'{c.new_cron}'; the next evaluation uses the new schedule, no restart needed.",
            )
            for c in self.cron_changes
        ]
        lines += [
            (n.report_id, f"Name changed: report {n.report_id} '{n.old_name}' -> '{n.new_name}'.")
            for n in self.name_changes
        ]
        return lines

    def messages(self) -> list[str]:
        return [text for _, text in self.lines()]

    def summary(self, total: int) -> str:
        if not self.any:
            return f"No changes: the catalogue of {total} reports is up to date."
        parts = [
            f"{len(items)} {label}"
            for items, label in [
                (self.added, "added"),
                (self.removed, "removed"),
                (self.cron_changes, "cron changed"),
                (self.name_changes, "renamed"),
            ]
            if items
        ]
        return f"Catalogue changed ({', '.join(parts)}); {total} reports now."


def diff_catalogues(old: Catalogue | None, new: Catalogue) -> CatalogueChanges:
    before = old.by_id if old else {}
    after = new.by_id
    changes = CatalogueChanges(
        added=[after[i] for i in sorted(after.keys() - before.keys())],
        removed=[before[i] for i in sorted(before.keys() - after.keys())],
    )
    for report_id in sorted(after.keys() & before.keys()):
        was, now = before[report_id], after[report_id]
        if was.cron != now.cron:
            changes.cron_changes.append(
                CronChange(report_id=report_id, name=now.name, old_cron=was.cron, new_cron=now.cron)
            )
        if was.name != now.name:
            changes.name_changes.append(
                NameChange(report_id=report_id, old_name=was.name, new_name=now.name)
            )
    return changes
