"""Alerts the reports location sends itself, through the shared ``platform_alerting`` sinks.

Failed runs and stalled or failing sensors are alerted by ``platform_alerting.Alerting``
(``defs/alerting/defs.yaml``); the location adds three of its own: the Django API could not
give a catalogue, entries of the catalogue cannot be scheduled, and a report whose
evaluation raised during a tick (skipped, the others ran).
"""

import logging
from collections.abc import Callable

LOCATION = "reports"
logger = logging.getLogger(__name__)


def discovery_alerter(channel: str) -> Callable[[str], None]:
    """A callable sending ``message`` as a ``reports_discovery`` alert (Slack, or locally a
    log line and ``ALERT_WEBHOOK_URL``); a sink that fails is logged, never raised."""

    def send(message: str) -> None:
        from platform_alerting import Alert, sink_for_environment

        title, _, rest = message.partition("\n")
        alert = Alert(
            kind="reports_discovery",
            location=LOCATION,
            title=title,
            details={"Details": rest} if rest else {},
        )
        try:
            sink_for_environment(channel).send(alert)
        except Exception as exc:  # the alert must not hide the problem it reports
            logger.error("could not send the alert %r: %s", title, exc)

    return send
