"""JWT bearer auth for the Django API, refreshed on 401 as djangorestframework-simplejwt expects.

Two ways in: a token given up front (``DJANGO_JWT_TOKEN``, used as is), and/or a username and
password that obtain an access/refresh pair from ``/api/token/``. On a 401 the flow refreshes
the access token (``/api/token/refresh/``) or logs in again, then retries the request once.
Tokens live only in memory and in the Authorization header; nothing here logs them.
"""

import threading
from collections.abc import Generator

import httpx

TOKEN_PATH = "/api/token/"
REFRESH_PATH = "/api/token/refresh/"


class DjangoJWTAuth(httpx.Auth):
    """httpx auth flow: bearer access token, one refresh or re-login on 401."""

    requires_response_body = True

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        if not token and not (username and password):
            raise ValueError(
                "Django API auth needs DJANGO_JWT_TOKEN, or a username and password to obtain one"
            )
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        self._access = token
        self._refresh: str | None = None
        self._username = username
        self._password = password
        self._lock = threading.Lock()

    @property
    def has_token(self) -> bool:
        return self._access is not None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # When a login or refresh call fails, the flow stops and the caller gets that
        # response: a 401 there means the credentials are wrong, a 5xx is retried by the caller.
        if self._access is None:
            logged_in = yield from self._login()
            if not logged_in:
                return
        sent_with = self._access
        request.headers["Authorization"] = f"Bearer {sent_with}"
        response = yield request
        if response.status_code != 401:
            return
        with self._lock:
            if self._access == sent_with:  # nobody renewed it meanwhile
                self._access = None
        if self._access is None:
            renewed = yield from self._renew()
            if not renewed:
                return
        request.headers["Authorization"] = f"Bearer {self._access}"
        yield request

    def _renew(self) -> Generator[httpx.Request, httpx.Response, bool]:
        if self._refresh:
            response = yield self._post(REFRESH_PATH, {"refresh": self._refresh})
            if response.status_code == 200 and self._take(response, "access"):
                return True
            self._refresh = None
        logged_in = yield from self._login()
        return logged_in

    def _login(self) -> Generator[httpx.Request, httpx.Response, bool]:
        if not (self._username and self._password):
            return False
        response = yield self._post(
            TOKEN_PATH, {"username": self._username, "password": self._password}
        )
        if response.status_code != 200 or not self._take(response, "access"):
            return False
        refresh = response.json().get("refresh")
        self._refresh = refresh if isinstance(refresh, str) else None
        return True

    def _take(self, response: httpx.Response, key: str) -> bool:
        try:
            value = response.json().get(key)
        except ValueError:
            return False
        if not isinstance(value, str) or not value:
            return False
        with self._lock:
            self._access = value
        return True

    def _post(self, path: str, body: dict[str, str]) -> httpx.Request:
        return httpx.Request("POST", self._base.join(path.lstrip("/")), json=body)
