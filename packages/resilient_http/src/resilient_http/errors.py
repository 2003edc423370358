"""Errors that say which call failed and how, without leaking credentials."""


class ApiError(RuntimeError):
    """A call answered with a status that retrying cannot fix (or that stayed bad).

    ``endpoint`` is ``"<METHOD> <path>"`` (no query string, no host credentials, no headers).
    """

    def __init__(self, endpoint: str, status: int | None, detail: str) -> None:
        self.endpoint = endpoint
        self.status = status
        self.detail = detail
        shown = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{endpoint} failed ({shown}): {detail}")


class ApiUnavailable(ApiError):
    """The service stayed unreachable, timed out or answered 5xx/429 through every retry."""
