"""``dataloader_retry_analysis``: decides whether a failed load is retried or reviewed.

The decision applies only while the row still stands at the failure that was analysed
(``failed_at``): a table that was retried, loaded or reset meanwhile is left alone.
"""

from datetime import datetime

import dagster as dg

from dataloader.pipes_outcome import read_outcome, reported_failure
from dataloader.resources.compute import PipesComputeResource
from dataloader.resources.lakebase import LakebaseResource

RETRY_ANALYSIS_OP = "dataloader_retry_analysis"
RETRY_ANALYSIS_KEY = dg.AssetKey(RETRY_ANALYSIS_OP)
RETRY_SCRIPT = "dataloader_retry_pipe.py"
RETRY = "Retry Recommended"
REVIEW = "Requires Review"


class RetryAnalysisConfig(dg.Config):
    """A failed table, as the failed monitor sends it."""

    config_id: int
    control_key: str
    error_message: str
    retry_count: int
    max_retries: int = 3
    db_type: str = ""
    load_strategy: str = ""
    failed_at: str = ""  # last_status_date_time of the failure analysed (ISO 8601)


class RetryAdvisorResource(dg.ConfigurableResource):
    """Which advisor the retry script uses: ``rules`` (local) or an ``llm`` endpoint.

    The endpoint's token never travels with the run: the script reads
    ``RETRY_ADVISOR_TOKEN`` from its own environment (a cluster secret on Databricks).
    """

    kind: str = "rules"
    endpoint_url: str | None = None
    model: str = "databricks-meta-llama-3-3-70b-instruct"


@dg.asset(
    name=RETRY_ANALYSIS_OP,
    group_name="dataloader",
    kinds={"databricks", "postgres"},
    description="Analyses a failed load's error: reset it for a retry or flag it for review.",
)
def dataloader_retry_analysis(
    context: dg.AssetExecutionContext,
    config: RetryAnalysisConfig,
    lakebase: LakebaseResource,
    pipes_databricks: PipesComputeResource,
    retry_advisor: RetryAdvisorResource,
) -> dg.MaterializeResult:
    client = lakebase.get_client()
    extras = {
        **config.model_dump(),
        "advisor": retry_advisor.kind,
        "model": retry_advisor.model,
    }
    if retry_advisor.endpoint_url:
        extras["endpoint_url"] = retry_advisor.endpoint_url
    work_id = f"analysis:{config.config_id}:{config.failed_at}"
    try:
        invocation = pipes_databricks.run_script(context, RETRY_SCRIPT, extras, work_id)
    except Exception:  # the script failed: did it say why (the Pipes client's error does not)?
        reported = reported_failure(context)
        if reported is None:
            raise
        raise dg.Failure(description=f"{config.control_key}: {reported}") from None
    outcome = read_outcome(invocation)
    decision = str(outcome.metadata["decision"])
    message = str(outcome.metadata["message"])
    failed_at = datetime.fromisoformat(config.failed_at) if config.failed_at else None
    if decision == RETRY:
        applied = client.reset_for_retry(config.config_id, message, failed_at)
    elif decision == REVIEW:
        applied = client.mark_for_review(config.config_id, message, failed_at)
    else:
        raise dg.Failure(description=f"unknown retry decision {decision!r}")
    if applied:
        history = client.get_history(config.config_id)
        if history:
            client.update_metadata(
                history[-1]["metadata_id"],
                retry_decision=decision,
                retry_confidence=float(outcome.metadata["confidence"]),
            )
        context.log.info(f"{config.control_key}: {message}")
    else:
        context.log.warning(
            f"{config.control_key}: not applied ({decision}): the table is no longer at the "
            "failure analysed (retried, loaded or reset meanwhile)"
        )
    return dg.MaterializeResult(
        metadata={**outcome.metadata, "control_key": config.control_key, "applied": applied}
    )
