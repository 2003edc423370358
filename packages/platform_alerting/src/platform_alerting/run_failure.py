"""``run_failure_sensor``: one alert per failed run of the location, naming what the run was
about (the file, table, report or dataset, from its tags) and why it failed, error first."""

from collections.abc import Callable, Mapping

import dagster as dg

from platform_alerting.sinks import Alert, AlertSink
from run_lifecycle import failure_reason

# Tag -> label of what a run is about; each location adds its own in its Alerting YAML.
DEFAULT_SUBJECTS: Mapping[str, str] = {"dagster/partition": "Partition"}


def run_subjects(run: dg.DagsterRun, subjects: Mapping[str, str]) -> dict[str, str]:
    """``label -> value`` for each subject tag the run carries, in ``subjects`` order."""
    return {label: run.tags[tag] for tag, label in subjects.items() if run.tags.get(tag)}


def run_failure_alert(
    location: str,
    context: dg.RunFailureSensorContext,
    subjects: Mapping[str, str] = DEFAULT_SUBJECTS,
) -> Alert:
    """The alert of a failed run: the error first, then what the run was about, then where."""
    run = context.dagster_run
    about = run_subjects(run, subjects)
    title = f"Run failed: {run.job_name}"
    if about:
        label, value = next(iter(about.items()))
        title += f" ({label.lower()} {value})"
    return Alert(
        kind="run_failure",
        location=location,
        title=title,
        details={
            "Error": failure_reason(context),
            **about,
            "Location": location,
            "Job": run.job_name,
            "Run ID": run.run_id,
        },
    )


def build_run_failure_sensor(
    location: str,
    sink: Callable[[], AlertSink],
    minimum_interval_seconds: int = 60,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
    subjects: Mapping[str, str] = DEFAULT_SUBJECTS,
) -> dg.SensorDefinition:
    """Alerts on every failed run of any job in this location.

    A send that fails raises, so the tick fails and the same run is alerted on the next one.
    """

    @dg.run_failure_sensor(
        name="run_failure_sensor",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=f"Alerts when a run of a {location} job fails (error, what it was about).",
    )
    def run_failure_sensor(context: dg.RunFailureSensorContext) -> None:
        alert = run_failure_alert(location, context, subjects)
        sink().send(alert)
        context.log.info(f"alerted: {alert.title} ({context.dagster_run.run_id})")

    return run_failure_sensor
