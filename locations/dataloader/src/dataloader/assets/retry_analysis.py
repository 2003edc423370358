"""``dataloader_retry_analysis``: decides whether a failed load is retried or reviewed."""

import dagster as dg

from dataloader.pipes_outcome import read_outcome
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
    outcome = read_outcome(pipes_databricks.run_script(context, RETRY_SCRIPT, extras))
    if outcome.error is not None:
        raise dg.Failure(description=f"{config.control_key}: {outcome.error}")
    decision = str(outcome.metadata["decision"])
    message = str(outcome.metadata["message"])
    if decision == RETRY:
        client.reset_for_retry(config.config_id, message)
    elif decision == REVIEW:
        client.mark_for_review(config.config_id, message)
    else:
        raise dg.Failure(description=f"unknown retry decision {decision!r}")
    history = client.get_history(config.config_id)
    if history:
        client.update_metadata(
            history[-1]["metadata_id"],
            retry_decision=decision,
            retry_confidence=float(outcome.metadata["confidence"]),
        )
    context.log.info(f"{config.control_key}: {message}")
    return dg.MaterializeResult(metadata={**outcome.metadata, "control_key": config.control_key})
