"""Submit run config the way the Launchpad does: GraphQL ``launchPipelineExecution``.

The webserver validates run config against the job's config schema before it creates a
run; tests that a secret typed into the Launchpad is refused go through the same mutation
(on an in-process code location, no server needed) and then look at what was stored.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster._core.test_utils import in_process_test_workspace
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster_graphql.test.utils import execute_dagster_graphql, infer_job_selector
from dagster_shared.serdes import serialize_value

# Launched runs are recorded, not executed: these tests are about what gets stored.
RECORDING_LAUNCHER = {
    "run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"}
}

LAUNCH_MUTATION = """
mutation ($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
  }
}
"""


@dataclass(frozen=True)
class LaunchOutcome:
    """What the Launchpad would show: the result's type and its error messages."""

    kind: str
    messages: list[str]
    run_id: str | None = None


def launch_from_launchpad(
    instance: dg.DagsterInstance,
    job_name: str,
    run_config: Mapping[str, Any],
    *,
    module: str | None = None,
    python_file: str | None = None,
    attribute: str | None = None,
    asset_selection: Sequence[str] | None = None,
) -> LaunchOutcome:
    """Launch ``job_name`` of the definitions in ``module`` (or ``python_file``) over GraphQL."""
    origin = LoadableTargetOrigin(module_name=module, python_file=python_file, attribute=attribute)
    with in_process_test_workspace(instance, origin) as context:
        for entry in context.get_code_location_entries().values():
            if entry.load_error is not None:
                raise AssertionError(f"the definitions did not load: {entry.load_error.message}")
        selector = infer_job_selector(
            context,
            job_name,
            asset_selection=[{"path": [key]} for key in asset_selection]
            if asset_selection
            else None,
        )
        result = execute_dagster_graphql(
            context,
            LAUNCH_MUTATION,
            {"executionParams": {"selector": selector, "runConfigData": dict(run_config)}},
        )
    assert result.data is not None
    payload = result.data["launchPipelineExecution"]
    messages = [e["message"] for e in payload.get("errors", [])]
    if "message" in payload:
        messages.append(payload["message"])
    run = payload.get("run") or {}
    return LaunchOutcome(payload["__typename"], messages, run.get("runId"))


def stored_run_text(instance: dg.DagsterInstance) -> str:
    """Every run's config, tags and job snapshot (which holds resource config defaults) as
    stored, as one text to search for a secret."""
    parts = []
    for run in instance.get_runs():
        parts += [repr(run.run_config), repr(run.tags)]
        if run.job_snapshot_id:
            parts.append(serialize_value(instance.get_job_snapshot(run.job_snapshot_id)))
    return "\n".join(parts)


PASTED_SECRET = "pasted-into-the-launchpad-9c1e"


def assert_literal_secret_refused(
    job_name: str,
    resource: str,
    field: str,
    *,
    module: str | None = None,
    python_file: str | None = None,
    attribute: str | None = None,
    value: Any = PASTED_SECRET,
) -> None:
    """A literal ``value`` for ``resources.<resource>.config.<field>`` typed into the
    Launchpad fails config validation naming the field, creates no run and is stored nowhere."""
    assert_refused_before_a_run(
        job_name,
        {"resources": {resource: {"config": {field: value}}}},
        f"root:resources:{resource}:config:{field}",
        str(value),
        module=module,
        python_file=python_file,
        attribute=attribute,
    )


def assert_refused_before_a_run(
    job_name: str,
    run_config: Mapping[str, Any],
    named: str,
    secret: str,
    *,
    module: str | None = None,
    python_file: str | None = None,
    attribute: str | None = None,
) -> None:
    """``run_config`` launched from the Launchpad fails config validation with a message
    containing ``named``; no run is created and ``secret`` is in no message nor in storage."""
    with dg.instance_for_test(overrides=RECORDING_LAUNCHER) as instance:
        outcome = launch_from_launchpad(
            instance,
            job_name,
            run_config,
            module=module,
            python_file=python_file,
            attribute=attribute,
        )
        assert outcome.kind == "RunConfigValidationInvalid", outcome
        assert any(named in message for message in outcome.messages), outcome.messages
        assert instance.get_runs() == []
        assert secret not in " ".join(outcome.messages) + stored_run_text(instance)
