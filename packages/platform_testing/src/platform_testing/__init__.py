"""Session-scoped fixtures that start real services for tests in any location."""

from platform_testing.paths import throwaway_cluster, world_readable_tempdir

__all__ = ["throwaway_cluster", "world_readable_tempdir"]
