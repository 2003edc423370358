"""The watermark of an incremental load, as Lakebase keeps it.

``table_control.incremental_value`` holds the highest value of the incremental column that
a load has written; the claim hands it to the load, so reading it costs nothing. A load
advances it from the rows it writes itself (never by reading the target table back). Only
when no watermark was ever recorded (a table registered with rows already in its target, or
one whose watermark was cleared) is the target's maximum read, once, and said in a log line.
Shared by the local loader (``table_loader``) and the Databricks one (``spark_load``).
"""

import logging
from collections.abc import Callable
from datetime import date, datetime

logger = logging.getLogger(__name__)


def render_watermark(value: object) -> str | None:
    """Watermarks are text in Lakebase: ISO 8601 for times, plain digits for numbers."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def watermark_before_load(
    control_key: str,
    column: str,
    recorded: str | None,
    target_maximum: Callable[[], object] | None,
) -> str | None:
    """Where an incremental load starts: the recorded watermark, or, when none was ever
    recorded and the target exists (``target_maximum`` given), the target's maximum of
    ``column`` (a scan, logged). ``None``: load every row of the source."""
    if recorded is not None or target_maximum is None:
        return recorded
    logger.warning(
        "%s: no watermark recorded in table_control; reading max(%s) from the target table "
        "once (later loads start from the watermark this load records)",
        control_key,
        column,
    )
    return render_watermark(target_maximum())


def watermark_after_load(before: str | None, loaded_maximum: object) -> str | None:
    """The watermark to record: the maximum of the rows this load wrote, or the one it
    started from when it wrote none."""
    loaded = render_watermark(loaded_maximum)
    return before if loaded is None else loaded
