"""Why a run failed, in one line a person can act on: the failing step's root error (or the
failing dbt test) first, the run's own failure after, without ANSI colour codes.

Every location records and alerts this same text, so the record, the run's tags and the
alert all say the same thing.
"""

import re
from dataclasses import dataclass

import dagster as dg
from dagster_shared.error import SerializableErrorInfo

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour and cursor codes (dbt and rich print them)."""
    return _ANSI.sub("", text)


def root_error(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """The innermost cause: the user's exception, not Dagster's wrappers around it."""
    while error.cause is not None:
        error = error.cause
    return error


def error_line(error: SerializableErrorInfo) -> str:
    """``Class: message`` of the root cause, whatever Dagster already prefixed."""
    root = root_error(error)
    message = strip_ansi(root.message).strip()
    if root.cls_name and not message.startswith(f"{root.cls_name}:"):
        message = f"{root.cls_name}: {message}"
    return message


@dataclass(frozen=True)
class FailedCheck:
    """An asset check (a dbt test among them) that failed with ERROR severity in the run."""

    asset: str
    check: str
    description: str | None

    def text(self) -> str:
        what = f"check {self.check} on {self.asset} failed"
        return f"{what}: {self.description}" if self.description else what


def failed_checks(instance: dg.DagsterInstance, run_id: str, limit: int = 5) -> list[FailedCheck]:
    """The blocking checks that failed in the run, first ``limit`` of them."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    found = []
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        evaluation = event.event_specific_data
        if not isinstance(evaluation, dg.AssetCheckEvaluation) or evaluation.passed:
            continue
        if evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        found.append(
            FailedCheck(
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                description=evaluation.description,
            )
        )
        if len(found) == limit:
            break
    return found


def failure_reason(context: dg.RunFailureSensorContext, max_chars: int = 1500) -> str:
    """The failing dbt tests, else the first failed step's root error, else the run's own
    failure (a resource that did not initialise, a dead run worker), else its message."""
    checks = failed_checks(context.instance, context.dagster_run.run_id)
    reason = "; ".join(c.text() for c in checks) if checks else _step_or_run_error(context)
    return strip_ansi(reason)[:max_chars]


def _step_or_run_error(context: dg.RunFailureSensorContext) -> str:
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        if error is not None:
            return f"{event.step_key or 'a step'}: {error_line(error)}"
    data = context.failure_event.job_failure_data
    if data is not None and data.error is not None:
        return error_line(data.error)
    return (context.failure_event.message or "no error message was recorded").strip()
