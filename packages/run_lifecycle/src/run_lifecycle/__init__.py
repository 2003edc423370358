"""How a run ends, the same in every code location: dead run workers found in minutes
(``RunLifecycle`` component), per-job time limits (``max_runtime_tags``), one run-outcome
recorder (``build_run_outcome_sensors``) and one failure reason (``failure_reason``).
"""

from run_lifecycle.component import RunLifecycle
from run_lifecycle.failure import (
    FailedCheck,
    error_line,
    failed_checks,
    failure_reason,
    root_error,
    strip_ansi,
)
from run_lifecycle.outcomes import (
    WILL_RETRY_TAG,
    Outcome,
    OutcomeSensors,
    RunOutcome,
    build_run_outcome_sensors,
    newer_run_of_group,
    outcome_of,
)
from run_lifecycle.time_limits import MAX_RUNTIME_TAG, max_runtime_tags
from run_lifecycle.workers import (
    WORKER_TAG,
    DeadWorker,
    build_dead_run_worker_sensor,
    fail_dead_run,
    find_dead_workers,
    run_worker,
)

__all__ = [
    "MAX_RUNTIME_TAG",
    "WILL_RETRY_TAG",
    "WORKER_TAG",
    "DeadWorker",
    "FailedCheck",
    "Outcome",
    "OutcomeSensors",
    "RunLifecycle",
    "RunOutcome",
    "build_dead_run_worker_sensor",
    "build_run_outcome_sensors",
    "error_line",
    "fail_dead_run",
    "failed_checks",
    "failure_reason",
    "find_dead_workers",
    "max_runtime_tags",
    "newer_run_of_group",
    "outcome_of",
    "root_error",
    "run_worker",
    "strip_ansi",
]
