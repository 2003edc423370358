"""Retry-or-review advice for failed table loads: an LLM endpoint, or documented rules."""

from retry_advisor.decision import (
    MESSAGE_PREFIXES,
    Advice,
    Decision,
    FailureContext,
    RetryAdvisor,
    strip_analysis_prefix,
)
from retry_advisor.factory import build_advisor
from retry_advisor.llm import LLMAdvisor
from retry_advisor.rules import RULES, RuleBasedAdvisor

__all__ = [
    "MESSAGE_PREFIXES",
    "RULES",
    "Advice",
    "Decision",
    "FailureContext",
    "LLMAdvisor",
    "RetryAdvisor",
    "RuleBasedAdvisor",
    "build_advisor",
    "strip_analysis_prefix",
]
