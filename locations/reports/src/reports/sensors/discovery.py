"""``daily_report_discovery_sensor``: the catalogue from the Django API, every
``DISCOVERY_SENSOR_INTERVAL_SECONDS``.

Each tick lists every report, compares the listing with the stored catalogue (report
added, report removed, cron changed, name changed: one message each), stores the new
catalogue as the component's state and keeps the report partitions in step. When the API
is down, answers 5xx or garbage, the stored catalogue stays as it is, the tick fails with
one line naming what to check, and the next tick tries again.
"""

from collections.abc import Callable

import dagster as dg

from reports.catalogue import Catalogue, diff_catalogues
from reports.catalogue_state import CatalogueState
from reports.logs import log_json
from reports.resources import DjangoApiResource
from reports.runs import PARTITIONS_NAME

Alert = Callable[[str], None]


class DiscoveryFailed(Exception):
    """The API could not give a whole catalogue; the last known one stays."""


def discover_catalogue(django_api: DjangoApiResource) -> Catalogue:
    """Every report of the API, with malformed entries and invalid crons marked."""
    with django_api.client() as api:
        listing = api.list_reports()
    return Catalogue.from_reports(listing.reports, listing.rejected)


def build_discovery_sensor(
    state: CatalogueState,
    interval_seconds: int,
    status: dg.DefaultSensorStatus,
    alert: Alert | None = None,
) -> dg.SensorDefinition:
    @dg.sensor(
        name="daily_report_discovery_sensor",
        minimum_interval_seconds=interval_seconds,
        default_status=status,
        description="Discovers reports and their cron schedules from the Django API.",
    )
    def daily_report_discovery_sensor(
        context: dg.SensorEvaluationContext, django_api: DjangoApiResource
    ) -> dg.SensorResult:
        from resilient_http import ApiError

        previous = state.read(context.instance)
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

        changes = diff_catalogues(previous, catalogue)
        state.write(catalogue, context.instance)
        for report_id, line in changes.lines():
            log_json(context.log, "info", "catalogue_change", line, report_id=report_id)
        problems = [
            f"Catalogue entry #{bad.index} (id {bad.report_id!r}) rejected: {bad.reason}"
            for bad in catalogue.rejected
        ] + [
            f"Report {entry.report_id} ({entry.name}) will not be scheduled: {entry.cron_error}"
            for entry in catalogue.reports
            if entry.cron_error
        ]
        for line in problems:
            log_json(context.log, "error", "catalogue_entry_invalid", line)
        if problems and alert and (changes.any or previous is None):
            alert("Report catalogue problems:\n" + "\n".join(problems))
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
        if existing - wanted:
            requests.append(
                dg.DeleteDynamicPartitionsRequest(PARTITIONS_NAME, sorted(existing - wanted))
            )
        return dg.SensorResult(dynamic_partitions_requests=requests, skip_reason=summary)

    return daily_report_discovery_sensor
