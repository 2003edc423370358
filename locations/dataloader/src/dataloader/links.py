"""Links between a Lakebase row and the Dagster run that loads it (both directions)."""

import os
import re

WEBSERVER_URL_VAR = "DAGSTER_WEBSERVER_URL"
_RUN_ID = re.compile(r"/runs/(?P<run_id>[0-9a-fA-F-]{8,})/?(?:[?#].*)?$")


def dagster_run_url(run_id: str) -> str:
    """The run's page in the Dagster UI (``$DAGSTER_WEBSERVER_URL``, local by default)."""
    base = os.environ.get(WEBSERVER_URL_VAR, "http://127.0.0.1:3000").rstrip("/")
    return f"{base}/runs/{run_id}"


def run_id_from_url(url: str | None) -> str | None:
    """The run id at the end of a run URL (``.../runs/<id>``), or ``None``."""
    if not url:
        return None
    match = _RUN_ID.search(url)
    return match.group("run_id") if match else None
