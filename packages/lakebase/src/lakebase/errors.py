"""Errors a caller of ``LakebaseClient`` can act on, each with a one-line message."""


class LakebaseError(Exception):
    """Base class: the message says what to fix."""


class LakebaseUnavailable(LakebaseError):
    """The database could not be reached, even after retrying."""


class LakebaseNotMigrated(LakebaseError):
    """The database is reachable but lacks the control tables or columns."""


class StaleClaim(LakebaseError):
    """A run acted on a claim that is no longer the row's current one: nothing was written."""
