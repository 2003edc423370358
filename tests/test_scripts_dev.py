"""`./scripts/dev` alone serves every location, runs each one's whole flow on its demo input,
and stops everything it started when told to stop.

One `./scripts/dev` session (the ``dev_session`` fixture) serves every check, in order: each
location loads in its own venv with no load error (the load `dg check defs` does, in the venv
`dg dev` uses); on a fresh state, with nothing else run, every location completes a successful
run within 10 minutes of the script's start (the dataloader's demo tables, the reports
simulators' catalogue, estore's seeded day of events, spatial_etl's seeded manifests); then a
SIGTERM to the script's process group (what a process manager, an IDE or `timeout` sends)
ends `dg dev`, the webserver, the daemon and every code server, as Ctrl-C does, also when the
script was started with SIGINT ignored (by `nohup` or `&` in another script).
"""

import os
import signal
import time

import pytest

from platform_testing.webserver import RunState
from tests.conftest import ROOT, DevSession, wait_until_gone

# The session's start (install checks, four code servers) is in the first test's time.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def test_every_location_loads_in_its_own_venv(
    dev_session: DevSession, location_names: list[str]
) -> None:
    assert set(dev_session.states) == set(location_names)
    for state in dev_session.states.values():
        assert state.kind == "RepositoryLocation", state
    code_servers = [c for c in dev_session.processes.values() if " dagster api grpc " in c]
    for name in location_names:
        python = ROOT / "locations" / name / ".venv" / "bin" / "python"
        assert any(c.startswith(f"{python} ") for c in code_servers), (name, code_servers)


# A bound from the script's start, so that a flow that never completes fails instead of
# hanging; the target (every location within 10 minutes on 2 cores) is a measured figure.
FLOW_BOUND_SECONDS = 900


def test_every_location_completes_a_run_from_scripts_dev_alone(
    dev_session: DevSession, location_names: list[str]
) -> None:
    """Seeding and sensors alone, no command run: a successful run in each location; estore's
    is the load of the day of events it seeded."""
    deadline = dev_session.started + FLOW_BOUND_SECONDS
    runs: list[RunState] = []

    def succeeded() -> dict[str, set[str]]:
        done: dict[str, set[str]] = {}
        for run in runs:
            if run.status == "SUCCESS":
                done.setdefault(run.location, set()).add(run.job)
        return done

    while time.monotonic() < deadline:
        runs = dev_session.ui.runs()
        done = succeeded()
        if set(done) >= set(location_names) and "gcs_to_bq_load_job" in done["estore"]:
            break
        time.sleep(10)
    summary = sorted({(r.location, r.job, r.status) for r in runs})
    print(f"runs after {time.monotonic() - dev_session.started:.0f} s: {summary}")
    assert set(succeeded()) == set(location_names), (summary, dev_session.log_tail())
    assert "gcs_to_bq_load_job" in succeeded()["estore"], summary


@pytest.mark.parametrize("signal_number", [signal.SIGTERM])
def test_a_signal_to_the_process_group_stops_everything(
    dev_session: DevSession, location_names: list[str], signal_number: int
) -> None:
    session = dev_session.script.pid
    # the script, dg dev, the webserver, the daemon and one code server per location
    assert len(dev_session.processes) >= 4 + len(location_names), dev_session.processes

    os.killpg(session, signal_number)
    assert dev_session.script.wait(timeout=180) == 0, dev_session.log_tail()
    left = wait_until_gone(session, timeout=30)
    assert not left, f"still running after {signal_number!r}: {left}"
