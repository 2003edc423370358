"""Structured logs: one JSON object per line, with the report id and due time when known.

Written through the Dagster logger of the tick or run, so the UI, the daemon's log and any
log shipper see the same line; ``message`` is the human sentence, the rest are fields.
"""

import datetime as dt
import json
import logging
from typing import Any

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
_threshold = logging.DEBUG


def set_log_level(level: str) -> None:
    """``LOG_LEVEL``: lines below it are not written (set when the location loads)."""
    global _threshold
    _threshold = LEVELS[level.lower()]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def log_json(logger: Any, level: str, event: str, message: str, **fields: Any) -> str:
    """Log ``{"event", "message", **fields}`` as one JSON line at ``level``; return the line."""
    if LEVELS[level] < _threshold:
        return ""
    record = {"event": event, "message": message}
    record.update({key: _plain(value) for key, value in fields.items() if value is not None})
    line = json.dumps(record, default=str, sort_keys=False)
    logger.log(LEVELS[level], line)
    return line
