"""Local demo data: the switch that turns seeding off, and the running session it goes to.

On a fresh local state each location seeds its own demo input from a sensor's first tick (so
``dg dev`` alone shows every flow). ``LOCAL_DEMO_SEED=off`` (or ``scripts/dev --no-seed``)
leaves those sensors stopped. The demo commands that drop more input by hand
(``python -m estore.sample_data``, ``spatial-etl-demo``) write into a running ``dg dev``
session's local state, never into one of their own: ``running_session_home`` finds it, or
says in one line what to run.
"""

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platform_config.environment import Environment, current_environment

if TYPE_CHECKING:
    import dagster as dg

SEED_VAR = "LOCAL_DEMO_SEED"
OFF_VALUES = frozenset({"0", "off", "false", "no"})
HEARTBEAT_MAX_AGE_SECONDS = 120.0  # the daemon writes one every 30 s


class NoDevSession(RuntimeError):
    """No ``dg dev`` session is running with the ``DAGSTER_HOME`` a demo command would use."""


def demo_seed_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """False when ``LOCAL_DEMO_SEED`` is ``0``, ``off``, ``false`` or ``no``."""
    env = os.environ if environ is None else environ
    return env.get(SEED_VAR, "").strip().lower() not in OFF_VALUES


def seed_sensor_definitions(
    name: str,
    evaluation_fn: Callable[..., Any],
    interval_seconds: int,
    what: str,
    environment: Environment | None = None,
) -> "dg.Definitions":
    """A location's demo seed sensor (``what`` it drops, for its description): defined only in
    the ``local`` environment, and stopped when seeding is off."""
    import dagster as dg

    if not (environment or current_environment()).is_local:
        return dg.Definitions()
    sensor = dg.SensorDefinition(
        name=name,
        evaluation_fn=evaluation_fn,
        minimum_interval_seconds=interval_seconds,
        description=f"Local demo: {what} Stopped when {SEED_VAR}=off.",
        default_status=(
            dg.DefaultSensorStatus.RUNNING
            if demo_seed_enabled()
            else dg.DefaultSensorStatus.STOPPED
        ),
    )
    return dg.Definitions(sensors=[sensor])


def workspace_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding the dg workspace's ``dg.toml``."""
    for folder in (start.absolute(), *start.absolute().parents):
        config = folder / "dg.toml"
        if config.is_file() and 'directory_type = "workspace"' in config.read_text():
            return folder
    return None


def session_home(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """``DAGSTER_HOME``, else the workspace's ``.dagster`` (what ``scripts/dev`` uses)."""
    env = os.environ if environ is None else environ
    if home := env.get("DAGSTER_HOME"):
        return Path(home)
    root = workspace_root(cwd or Path.cwd())
    if root is None:
        raise NoDevSession(
            "DAGSTER_HOME is not set and no dg workspace is above this folder: run this "
            "command from the repository (where ./scripts/dev keeps .dagster) or export "
            "DAGSTER_HOME=<the folder dg dev runs with>"
        )
    return root / ".dagster"


def daemon_is_running(home: Path, max_age: float = HEARTBEAT_MAX_AGE_SECONDS) -> bool:
    """Whether a Dagster daemon serving ``home`` wrote a heartbeat within ``max_age`` s."""
    if not (home / "dagster.yaml").is_file():
        return False  # every session's home has one (scripts/dev's .dagster is in git)
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        beats = instance.get_daemon_heartbeats()
    now = time.time()
    return any(now - beat.timestamp < max_age for beat in beats.values())


def running_session_home(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The ``DAGSTER_HOME`` of the running ``dg dev`` session; :class:`NoDevSession` if none."""
    home = session_home(environ, cwd)
    if not daemon_is_running(home):
        raise NoDevSession(
            f"no dg dev session is running with DAGSTER_HOME={home}: start ./scripts/dev "
            "(or export DAGSTER_HOME=<the folder dg dev runs with>) and run this again"
        )
    return home


def enter_running_session(command: str) -> Path:
    """For a demo command's ``main``: point ``DAGSTER_HOME`` at the running session, or exit
    with one line on stderr saying what to run."""
    try:
        home = running_session_home()
    except NoDevSession as exc:
        raise SystemExit(f"{command}: {exc}") from None
    os.environ["DAGSTER_HOME"] = str(home)
    return home
