"""The last step of every health sensor: alert what opened or closed since the last tick, and
keep the open problems in the cursor, so each episode is alerted once and its recovery once."""

import json
from collections.abc import Callable, Mapping, Sequence

import dagster as dg

from platform_alerting.sinks import Alert, AlertSink


def send_and_remember(
    context: dg.SensorEvaluationContext,
    sink: Callable[[], AlertSink],
    alerts: Sequence[Alert],
    open_problems: Mapping[str, str],
    noun: str,
) -> dg.SensorResult:
    """Send ``alerts`` (the sink is built only when there is one), log each, and store
    ``open_problems`` (subject -> kind) as the cursor the next tick compares against."""
    if alerts:
        target = sink()
        for alert in alerts:
            target.send(alert)
            context.log.warning(alert.text())
    summary = (
        "; ".join(alert.title for alert in alerts)
        if alerts
        else f"{len(open_problems)} open {noun}(s), nothing new to alert"
    )
    return dg.SensorResult(
        skip_reason=dg.SkipReason(summary), cursor=json.dumps(dict(open_problems), sort_keys=True)
    )
