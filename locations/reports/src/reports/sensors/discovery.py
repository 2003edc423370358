"""``daily_report_discovery_sensor``: the catalogue from the Django API, every
``DISCOVERY_SENSOR_INTERVAL_SECONDS``.

The sensor ticks every ``POLL_SECONDS`` but lists the API only when the stored catalogue
is missing (a fresh instance, a new deploy) or older than the interval: so a deploy never
waits a day for its catalogue, and the API is still listed once per interval. A listing
is compared with the stored catalogue (report added, report removed, cron changed, name
changed: one message each), stored as the component's state, and the report partitions
follow. A report is removed only when a complete, valid listing lacks it. When the API is
down, answers 5xx or garbage, the stored catalogue stays as it is, the tick fails with one
line naming what to check, and the next tick tries again.
"""

import datetime as dt
from collections.abc import Callable

import dagster as dg

from reports.catalogue import Catalogue, diff_catalogues
from reports.catalogue_state import CatalogueState
from reports.logs import log_json
from reports.resources import DjangoApiResource
from reports.runs import PARTITIONS_NAME

Alert = Callable[[str], None]
POLL_SECONDS = 60


class DiscoveryFailed(Exception):
    """The API could not give a whole catalogue; the last known one stays."""


def discover_catalogue(django_api: DjangoApiResource) -> Catalogue:
    """Every report of the API, with malformed entries and invalid crons marked."""
    with django_api.client() as api:
        listing = api.list_reports()
    return Catalogue.from_reports(
        listing.reports, listing.rejected, incomplete=listing.incomplete_reason
    )


def build_discovery_sensor(
    state: CatalogueState,
    interval_seconds: int,
    status: dg.DefaultSensorStatus,
    alert: Alert | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    approach_note: str = "",
) -> dg.SensorDefinition:
    refresh_after = dt.timedelta(seconds=interval_seconds)

    @dg.sensor(
        name="daily_report_discovery_sensor",
        minimum_interval_seconds=max(1, min(interval_seconds, POLL_SECONDS)),
        default_status=status,
        description=(
            "Discovers reports and their cron schedules from the Django API: at once when "
            f"there is no catalogue, then every {interval_seconds} s. {approach_note}"
        ).strip(),
    )
    def daily_report_discovery_sensor(
        context: dg.SensorEvaluationContext, django_api: DjangoApiResource
    ) -> dg.SensorResult:
        from resilient_http import ApiError

        previous = state.read(context.instance)
        fresh_until = (
            previous.discovered_at + refresh_after
            if previous is not None and previous.discovered_at is not None
            else None
        )
        if fresh_until is not None and clock() < fresh_until:
            return dg.SensorResult(
                skip_reason=f"The catalogue of {len(previous.reports) if previous else 0} "
                f"reports is fresh; next discovery at {fresh_until.isoformat()}"
            )
        try:
            catalogue = discover_catalogue(django_api)
        except ApiError as exc:
            kept = (
                f"the last known catalogue ({len(previous.reports)} reports) stays in use"
                if previous
                else "there is no catalogue yet, so nothing is scheduled"
            )
            message = (
                f"Report discovery failed: {exc}; {kept}. Check DJANGO_API_URL and the "
                "Django credentials; the next tick tries again."
            )
            log_json(context.log, "error", "discovery_failed", message)
            if alert:
                alert(message)
            raise DiscoveryFailed(message) from None

        catalogue, kept = catalogue.keeping_absent(previous)
        changes = diff_catalogues(previous, catalogue)
        state.write(catalogue, context.instance)
        if catalogue.incomplete is not None:
            kept_text = ", ".join(entry.label for entry in kept) or "none"
            log_json(
                context.log,
                "warning",
                "catalogue_incomplete",
                f"The report listing is incomplete ({catalogue.incomplete}): no report is "
                f"removed and no partition deleted; {len(kept)} reports absent from it are "
                f"kept as last discovered: {kept_text}",
                kept=[entry.report_id for entry in kept],
            )
        for report_id, line in changes.lines():
            log_json(context.log, "info", "catalogue_change", line, report_id=report_id)
        problems = catalogue.problems()
        for line in problems:
            log_json(context.log, "error", "catalogue_entry_invalid", line)
        known = set(previous.problems()) if previous else set()
        if alert and (new := [line for line in problems if line not in known]):
            alert("Report catalogue problems:\n" + "\n".join(new))
        summary = changes.summary(len(catalogue.reports))
        log_json(
            context.log,
            "info",
            "discovery",
            summary,
            reports=len(catalogue.reports),
            rejected=len(catalogue.rejected),
            added=len(changes.added),
            removed=len(changes.removed),
            cron_changed=len(changes.cron_changes),
            needs_reload=changes.needs_reload,
        )
        existing = set(context.instance.get_dynamic_partitions(PARTITIONS_NAME))
        wanted = set(catalogue.partition_keys)
        requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
        if wanted - existing:
            requests.append(
                dg.AddDynamicPartitionsRequest(PARTITIONS_NAME, sorted(wanted - existing, key=int))
            )
        if existing - wanted and catalogue.incomplete is None:
            requests.append(
                dg.DeleteDynamicPartitionsRequest(PARTITIONS_NAME, sorted(existing - wanted))
            )
        return dg.SensorResult(dynamic_partitions_requests=requests, skip_reason=summary)

    return daily_report_discovery_sensor
