"""When a table is next due, from its cron schedule."""

from datetime import datetime

from croniter import croniter


def next_load_time(cron_schedule: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that ``cron_schedule`` (UTC) fires."""
    if not croniter.is_valid(cron_schedule):
        raise ValueError(
            f"cron_schedule {cron_schedule!r} is not a valid cron expression "
            "(five fields, e.g. '0 2 * * *')"
        )
    return croniter(cron_schedule, after).get_next(datetime)
