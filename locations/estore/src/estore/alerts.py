"""The one method estore needs from an alert channel, so any sink (Slack, a webhook, the log)
can carry the schema-change alert."""

from typing import Protocol

import dagster as dg


class AlertSink(Protocol):
    def send(self, title: str, text: str) -> None: ...


class LogAlertSink:
    """Writes the alert to the run's log at error level."""

    def __init__(self, log: dg.DagsterLogManager) -> None:
        self._log = log

    def send(self, title: str, text: str) -> None:
        self._log.error(f"{title}\n{text}")
