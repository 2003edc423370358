"""httpx requests with a timeout, bounded exponential backoff and errors naming the endpoint.

Shared by the Django API and Fireant clients so both retry the same way: transport errors,
timeouts, 429 and 5xx are retried ``max_retries`` times with exponential delays; any other
status fails at once. Errors name the method, path and status, never headers or tokens.
"""

from resilient_http.client import HttpClient
from resilient_http.errors import ApiError, ApiUnavailable
from resilient_http.policy import RetryEvent, RetryPolicy
from resilient_http.send import send

__all__ = ["ApiError", "ApiUnavailable", "HttpClient", "RetryEvent", "RetryPolicy", "send"]
