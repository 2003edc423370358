"""The production advisor: an OpenAI-compatible chat-completions endpoint.

A Databricks model serving endpoint speaks this protocol. Transport failures, 429 and 5xx
are retried with exponential backoff (tenacity); a malformed answer or an endpoint that
stays down hands the decision to the fallback advisor, or to a human review.
"""

import json
import re
from typing import Any

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from retry_advisor.decision import Advice, Decision, FailureContext, RetryAdvisor, exhausted

SYSTEM_PROMPT = """You triage failed table loads of a data platform.
Decide whether the load should be retried automatically or needs a human:
- "Retry Recommended": the error is transient (network, timeouts, throttling, a cluster
  or database that was briefly unavailable, contention); the same load can succeed later.
- "Requires Review": the error is permanent (missing table or column, permissions,
  configuration, bad data, syntax); retrying cannot help.
Answer with one JSON object only:
{"decision": "Retry Recommended" | "Requires Review", "confidence": <0..1>,
 "category": "<transient:... or permanent:...>", "reason": "<one sentence for an operator>"}"""

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


class AdvisorResponseError(ValueError):
    """The endpoint answered, but not with a usable decision."""


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code == 429 or exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


class LLMAdvisor:
    def __init__(
        self,
        endpoint_url: str,
        api_token: str,
        model: str,
        *,
        timeout: float = 30,
        max_attempts: int = 3,
        backoff_seconds: float = 1.0,
        client: httpx.Client | None = None,
        fallback: RetryAdvisor | None = None,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._token = api_token
        self.model = model
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._client = client
        self._fallback = fallback

    @property
    def name(self) -> str:
        return f"llm:{self.model}"

    def __repr__(self) -> str:  # never show the token
        return f"LLMAdvisor(endpoint_url={self._endpoint_url!r}, model={self.model!r})"

    def advise(self, failure: FailureContext) -> Advice:
        if failure.retries_exhausted:
            return exhausted(failure, self.name)
        try:
            return self._parse(self._ask(failure))
        except (RetryError, httpx.HTTPError, AdvisorResponseError) as exc:
            return self._fall_back(failure, _describe(exc))

    def _ask(self, failure: FailureContext) -> str:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": json.dumps(failure.__dict__)},
            ],
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        headers = {"Authorization": f"Bearer {self._token}"}
        client = self._client or httpx.Client(timeout=self._timeout)
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self._max_attempts),
                wait=wait_exponential(multiplier=self._backoff, max=30 * self._backoff),
                retry=retry_if_exception(_retryable),
                reraise=False,
            ):
                with attempt:
                    response = client.post(self._endpoint_url, json=body, headers=headers)
                    response.raise_for_status()
                    return response.json()["choices"][0]["message"]["content"]
        finally:
            if self._client is None:
                client.close()
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _parse(self, content: str) -> Advice:
        try:
            answer: Any = json.loads(_FENCE.sub("", content))
        except json.JSONDecodeError:
            raise AdvisorResponseError("the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise AdvisorResponseError("the answer is not a JSON object")
        try:
            decision = Decision(answer.get("decision"))
        except ValueError:
            raise AdvisorResponseError(f"unknown decision {answer.get('decision')!r}") from None
        confidence = answer.get("confidence")
        if not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
            raise AdvisorResponseError(f"confidence {confidence!r} is not between 0 and 1")
        return Advice(
            decision,
            float(confidence),
            str(answer.get("category") or "unknown"),
            str(answer.get("reason") or "no reason given"),
            self.name,
        )

    def _fall_back(self, failure: FailureContext, problem: str) -> Advice:
        if self._fallback is None:
            return Advice(
                Decision.REVIEW,
                0.0,
                "advisor_error",
                f"the retry advisor could not decide ({problem}); a person must look",
                self.name,
            )
        advice = self._fallback.advise(failure)
        return Advice(
            advice.decision,
            advice.confidence,
            advice.category,
            f"{advice.reason} (LLM unavailable: {problem})",
            advice.advisor,
        )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RetryError):
        last = exc.last_attempt.exception()
        return _describe(last) if last else "no answer"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from the endpoint"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__} reaching the endpoint"
    return str(exc)
