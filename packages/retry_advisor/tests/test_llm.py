import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from retry_advisor import Decision, FailureContext, LLMAdvisor, RuleBasedAdvisor, build_advisor

FAILURE = FailureContext(
    error_message="connection reset by peer", retry_count=1, control_key="crm.orders"
)


def answer(content: str) -> dict:
    return {"choices": [{"message": {"role": "assistant", "content": content}}]}


def advisor(server: HTTPServer, **kwargs) -> LLMAdvisor:
    return LLMAdvisor(
        server.url_for("/serving-endpoints/triage/invocations"),
        "s3cret-token",
        "triage",
        backoff_seconds=0.01,
        **kwargs,
    )


def test_a_good_answer_becomes_the_advice(httpserver: HTTPServer) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        content = json.dumps(
            {
                "decision": "Retry Recommended",
                "confidence": 0.8,
                "category": "transient:network",
                "reason": "peer reset",
            }
        )
        return Response(json.dumps(answer(content)), content_type="application/json")

    httpserver.expect_request(
        "/serving-endpoints/triage/invocations", method="POST"
    ).respond_with_handler(handler)
    advice = advisor(httpserver).advise(FAILURE)
    assert (advice.decision, advice.confidence, advice.advisor) == (
        Decision.RETRY,
        0.8,
        "llm:triage",
    )
    assert advice.message().startswith("[AI Analysis - Retry Recommended] peer reset")
    [request] = seen
    assert request.headers["Authorization"] == "Bearer s3cret-token"
    body = request.get_json()
    assert body["temperature"] == 0 and body["model"] == "triage"
    assert "connection reset by peer" in body["messages"][1]["content"]


def test_fenced_json_is_accepted(httpserver: HTTPServer) -> None:
    content = '```json\n{"decision": "Requires Review", "confidence": 0.9, "category": "permanent", "reason": "gone"}\n```'
    httpserver.expect_request("/serving-endpoints/triage/invocations").respond_with_json(
        answer(content)
    )
    assert advisor(httpserver).advise(FAILURE).decision is Decision.REVIEW


def test_unavailable_endpoint_is_retried_then_succeeds(httpserver: HTTPServer) -> None:
    good = json.dumps(
        {"decision": "Retry Recommended", "confidence": 0.7, "category": "t", "reason": "r"}
    )
    path = "/serving-endpoints/triage/invocations"
    httpserver.expect_ordered_request(path).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(path).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(path).respond_with_json(answer(good))
    advice = advisor(httpserver).advise(FAILURE)
    assert advice.decision is Decision.RETRY and advice.confidence == 0.7
    assert len(httpserver.log) == 3


def test_client_errors_are_not_retried_and_fall_back_to_rules(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/serving-endpoints/triage/invocations").respond_with_data(
        "bad", status=400
    )
    advice = advisor(httpserver, fallback=RuleBasedAdvisor()).advise(FAILURE)
    assert len(httpserver.log) == 1
    assert (advice.advisor, advice.category) == ("rules", "transient:connection")
    assert "LLM unavailable: HTTP 400" in advice.reason
    assert "s3cret-token" not in advice.message()


def test_a_malformed_answer_falls_back(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/serving-endpoints/triage/invocations").respond_with_json(
        answer('{"decision": "Maybe", "confidence": 2}')
    )
    advice = advisor(httpserver, fallback=RuleBasedAdvisor()).advise(FAILURE)
    assert advice.advisor == "rules" and "unknown decision 'Maybe'" in advice.reason


def test_without_fallback_a_failure_means_review_at_zero_confidence(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/serving-endpoints/triage/invocations").respond_with_json(
        answer("not json")
    )
    advice = advisor(httpserver).advise(FAILURE)
    assert (advice.decision, advice.confidence, advice.category) == (
        Decision.REVIEW,
        0.0,
        "advisor_error",
    )


def test_exhausted_retries_never_call_the_endpoint(httpserver: HTTPServer) -> None:
    failure = FailureContext(error_message="timeout", retry_count=3)
    assert advisor(httpserver).advise(failure).category == "exhausted"
    assert httpserver.log == []


def test_build_advisor_names_what_is_missing() -> None:
    assert isinstance(build_advisor("rules"), RuleBasedAdvisor)
    with pytest.raises(ValueError, match="RETRY_ADVISOR_ENDPOINT and RETRY_ADVISOR_TOKEN"):
        build_advisor("llm")
    with pytest.raises(ValueError, match="unknown retry advisor 'magic': use one of rules, llm"):
        build_advisor("magic")
    built = build_advisor("llm", endpoint_url="http://127.0.0.1:1/x", api_token="t", model="m")
    assert isinstance(built, LLMAdvisor) and "t'" not in repr(built)
