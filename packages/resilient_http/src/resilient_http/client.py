"""``HttpClient``: the one place an API client owns, closes and scopes its ``httpx.Client``."""

from types import TracebackType
from typing import Self

import httpx


class HttpClient:
    """Base of the typed API clients: ``with Client(...) as api:`` closes its connections."""

    _http: httpx.Client

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
