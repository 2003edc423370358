"""Fixtures of the run-lifecycle tests: the spatial ledger on a MongoDB wire server."""

from spatial_platform.testing import mongodb_server  # noqa: F401 (fixture)
