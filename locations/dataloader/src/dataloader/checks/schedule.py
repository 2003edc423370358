"""``loads_on_schedule``: a table is late when its cron's due time passed without a load.

A table's due time is its cron's first tick after its last successful load (before any, the
control table's ``next_load_date_time``); it is late once that time plus the grace is past.
A failing table is late too: its failures are alerted on their own, its lateness says how
long the destination has been stale.
"""

import datetime as dt
from collections.abc import Iterable

from lakebase import TableControl
from lakebase.schedule import next_load_time
from platform_alerting import LateItem, Lateness


def due_at(table: TableControl) -> dt.datetime:
    if table.last_success_date_time is None:
        return table.next_load_date_time
    return next_load_time(table.cron_schedule, table.last_success_date_time)


def late_tables(tables: Iterable[TableControl], now: dt.datetime, grace: dt.timedelta) -> Lateness:
    active = [table for table in tables if table.is_active]
    late = [
        LateItem(table.control_key, due, table.last_success_date_time)
        for table in active
        if (due := due_at(table)) + grace < now
    ]
    return Lateness(checked=len(active), late=late)
