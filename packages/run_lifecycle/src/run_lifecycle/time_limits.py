"""Per-job time limits: the ``dagster/max_runtime`` tag that run monitoring enforces.

Each job gets the limit of what it does (a file load, a dbt build, a spatial join, a
report, a table load), so a hung run is failed, and its record released, after its own
limit rather than the instance-wide ``max_runtime_seconds`` (the last resort).
"""

from dagster._core.storage.tags import MAX_RUNTIME_SECONDS_TAG

MAX_RUNTIME_TAG = MAX_RUNTIME_SECONDS_TAG  # "dagster/max_runtime", in seconds


def max_runtime_tags(seconds: int | None, job: str) -> dict[str, str]:
    """The run tag limiting ``job`` to ``seconds`` (none when None: the instance's limit)."""
    if seconds is None:
        return {}
    if seconds < 60:
        raise ValueError(
            f"max_runtime_seconds of {job} must be at least 60 (run monitoring polls every "
            f"minute), got {seconds}; omit it to use the instance's max_runtime_seconds"
        )
    return {MAX_RUNTIME_TAG: str(seconds)}
