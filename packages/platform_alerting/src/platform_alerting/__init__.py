"""Alerting for every code location: run failures and sensor health, Slack or a local sink.

A location declares ``platform_alerting.Alerting`` in ``defs/alerting/defs.yaml``; the
sensor factories and sinks are public for locations that compose their own.
"""

from platform_alerting.component import Alerting, RunFailureSettings, SensorHealthSettings
from platform_alerting.health import (
    HealthPolicy,
    SensorProblem,
    assess,
    build_sensor_health_sensor,
    problem_alert,
    recovery_alert,
)
from platform_alerting.run_failure import (
    DEFAULT_SUBJECTS,
    build_run_failure_sensor,
    run_failure_alert,
    run_subjects,
)
from platform_alerting.sinks import (
    Alert,
    AlertSettings,
    AlertSink,
    LocalSink,
    SlackSink,
    sink_for_environment,
)

__all__ = [
    "DEFAULT_SUBJECTS",
    "Alert",
    "AlertSettings",
    "AlertSink",
    "Alerting",
    "HealthPolicy",
    "LocalSink",
    "RunFailureSettings",
    "SensorHealthSettings",
    "SensorProblem",
    "SlackSink",
    "assess",
    "build_run_failure_sensor",
    "build_sensor_health_sensor",
    "problem_alert",
    "recovery_alert",
    "run_failure_alert",
    "run_subjects",
    "sink_for_environment",
]
