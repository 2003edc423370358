"""Analyses a failed load's error and reports a decision: retry it, or require a review.

The advisor is an LLM endpoint (``advisor: llm``; token in ``RETRY_ADVISOR_TOKEN``) with the
rule-based classifier as its fallback, or the rules alone (``advisor: rules``).
"""

import os

from pipes_session import open_session, report_failure, run_main

from retry_advisor import FailureContext, build_advisor


def main() -> None:
    with open_session() as pipes:
        params = dict(pipes.extras)
        try:
            advisor = build_advisor(
                params["advisor"],
                endpoint_url=params.get("endpoint_url"),
                api_token=os.environ.get("RETRY_ADVISOR_TOKEN"),
                model=params.get("model"),
            )
        except ValueError as exc:
            report_failure(pipes, str(exc))
        advice = advisor.advise(
            FailureContext(
                error_message=params["error_message"],
                retry_count=int(params["retry_count"]),
                max_retries=int(params["max_retries"]),
                control_key=params["control_key"],
                db_type=params.get("db_type", ""),
                load_strategy=params.get("load_strategy", ""),
            )
        )
        pipes.log.info(f"{params['control_key']}: {advice.message()}")
        pipes.report_asset_materialization(
            metadata={
                "decision": advice.decision.value,
                "confidence": advice.confidence,
                "category": advice.category,
                "reason": advice.reason,
                "advisor": advice.advisor,
                "message": advice.message(),
            }
        )


if __name__ == "__main__":
    run_main(main)
