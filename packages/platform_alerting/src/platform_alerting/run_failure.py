"""``run_failure_sensor``: one alert per failed run of the location, with its root error."""

from collections.abc import Callable

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

from platform_alerting.sinks import Alert, AlertSink

MAX_ERROR_CHARS = 1500


def _root(error: SerializableErrorInfo) -> str:
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def failure_error(context: dg.RunFailureSensorContext) -> str:
    """The root cause of the first failed step, else of the run's own failure (a resource
    that did not initialise), else the run failure message."""
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        if error is None:
            continue
        step = event.step_key or "a step"
        return f"{step}: {_root(error)}"[:MAX_ERROR_CHARS]
    data = context.failure_event.job_failure_data
    if data is not None and data.error is not None:
        return _root(data.error)[:MAX_ERROR_CHARS]
    return (context.failure_event.message or "no error message was recorded")[:MAX_ERROR_CHARS]


def run_failure_alert(location: str, context: dg.RunFailureSensorContext) -> Alert:
    run = context.dagster_run
    return Alert(
        kind="run_failure",
        location=location,
        title=f"Run failed: {run.job_name}",
        details={
            "Location": location,
            "Job": run.job_name,
            "Run ID": run.run_id,
            "Error": failure_error(context),
        },
    )


def build_run_failure_sensor(
    location: str,
    sink: Callable[[], AlertSink],
    minimum_interval_seconds: int = 60,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """Alerts on every failed run of any job in this location.

    A send that fails raises, so the tick fails and the same run is alerted on the next one.
    """

    @dg.run_failure_sensor(
        name="run_failure_sensor",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=f"Alerts when a run of a {location} job fails (job, run id, error).",
    )
    def run_failure_sensor(context: dg.RunFailureSensorContext) -> None:
        alert = run_failure_alert(location, context)
        sink().send(alert)
        context.log.info(f"alerted: {alert.title} ({context.dagster_run.run_id})")

    return run_failure_sensor
