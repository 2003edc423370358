"""Errors specific to the Django API."""

from resilient_http import ApiError


class DjangoAuthError(ApiError):
    """The API refused the credentials (401/403), also after a refresh or a new login."""
