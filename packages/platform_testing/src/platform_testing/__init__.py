"""Session-scoped fixtures that start real services for tests in any location."""

from platform_testing.paths import world_readable_tempdir

__all__ = ["world_readable_tempdir"]
