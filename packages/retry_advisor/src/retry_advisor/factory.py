"""Builds the advisor a run asked for."""

from retry_advisor.decision import RetryAdvisor
from retry_advisor.llm import LLMAdvisor
from retry_advisor.rules import RuleBasedAdvisor

KINDS = ("rules", "llm")


def build_advisor(
    kind: str,
    *,
    endpoint_url: str | None = None,
    api_token: str | None = None,
    model: str | None = None,
) -> RetryAdvisor:
    """``rules``, or ``llm`` with the rules as its fallback."""
    if kind == "rules":
        return RuleBasedAdvisor()
    if kind == "llm":
        missing = [
            name
            for name, value in (
                ("RETRY_ADVISOR_ENDPOINT", endpoint_url),
                ("RETRY_ADVISOR_TOKEN", api_token),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"the llm retry advisor needs {' and '.join(missing)}")
        assert endpoint_url and api_token
        return LLMAdvisor(
            endpoint_url,
            api_token,
            model or "databricks-meta-llama-3-3-70b-instruct",
            fallback=RuleBasedAdvisor(),
        )
    raise ValueError(f"unknown retry advisor {kind!r}: use one of {', '.join(KINDS)}")
