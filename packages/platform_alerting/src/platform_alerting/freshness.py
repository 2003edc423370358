"""Freshness policies a location's YAML attaches to its assets (``template_vars_module``).

A folder's ``defs.yaml`` names this module and sets ``freshness_policy`` in its
``post_processing``, e.g. ``"{{ due_by_cron('0 1 * * *', hours=24) }}"``; the freshness
daemon (``freshness: enabled: true`` in dagster.yaml) evaluates them, the UI shows each
asset's state and ``asset_health_sensor`` alerts on those that fail.
"""

from collections.abc import Callable
from datetime import timedelta

import dagster as dg


def cron_policy(cron: str, hours: float, timezone: str = "UTC") -> dg.FreshnessPolicy:
    """Late when a tick of ``cron`` passes with no materialization in the ``hours`` before it."""
    return dg.FreshnessPolicy.cron(
        deadline_cron=cron, lower_bound_delta=timedelta(hours=hours), timezone=timezone
    )


def window_policy(hours: float, warn_hours: float | None = None) -> dg.FreshnessPolicy:
    """Late when the last materialization is more than ``hours`` old (warn after ``warn_hours``)."""
    return dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=hours),
        warn_window=timedelta(hours=warn_hours) if warn_hours is not None else None,
    )


@dg.template_var
def due_by_cron() -> Callable[..., dg.FreshnessPolicy]:
    """``{{ due_by_cron('0 1 * * *', hours=24) }}``: see ``cron_policy``."""
    return cron_policy


@dg.template_var
def updated_within() -> Callable[..., dg.FreshnessPolicy]:
    """``{{ updated_within(hours=26, warn_hours=24) }}``: see ``window_policy``."""
    return window_policy
