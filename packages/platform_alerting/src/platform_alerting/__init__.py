"""Alerting for every code location: run failures, sensor health and asset health (late
assets, failed checks), Slack or a local sink.

A location declares ``platform_alerting.Alerting`` in ``defs/alerting/defs.yaml``; the
sensor factories and sinks are public for locations that compose their own.
"""

from platform_alerting.asset_health import (
    AssetProblem,
    build_asset_health_sensor,
    failed_checks,
    late_assets,
)
from platform_alerting.component import (
    Alerting,
    AssetHealthSettings,
    RunFailureSettings,
    SensorHealthSettings,
)
from platform_alerting.freshness import cron_policy, window_policy
from platform_alerting.health import (
    HealthPolicy,
    SensorProblem,
    assess,
    build_sensor_health_sensor,
    problem_alert,
    recovery_alert,
)
from platform_alerting.lateness import (
    LateItem,
    Lateness,
    build_lateness_check,
    lateness_result,
)
from platform_alerting.operator_metadata import preview
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
    "AssetHealthSettings",
    "AssetProblem",
    "HealthPolicy",
    "LateItem",
    "Lateness",
    "LocalSink",
    "RunFailureSettings",
    "SensorHealthSettings",
    "SensorProblem",
    "SlackSink",
    "assess",
    "build_asset_health_sensor",
    "build_lateness_check",
    "build_run_failure_sensor",
    "build_sensor_health_sensor",
    "cron_policy",
    "failed_checks",
    "late_assets",
    "lateness_result",
    "preview",
    "problem_alert",
    "recovery_alert",
    "run_failure_alert",
    "run_subjects",
    "sink_for_environment",
    "window_policy",
]
