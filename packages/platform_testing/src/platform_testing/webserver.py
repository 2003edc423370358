"""Run ``dg dev`` (or ``dagster-webserver``) as a child process and read its GraphQL API."""

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local_services import free_port, stop_local_clusters
from local_services.shared import stop_shared_servers

LOCATIONS_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message causes { message } }
        }
      }
    }
  }
}
"""


RUNS_QUERY = """
{
  runsOrError(limit: 500) {
    __typename
    ... on Runs {
      results { runId jobName status repositoryOrigin { repositoryLocationName } }
    }
  }
}
"""


@dataclass(frozen=True)
class RunState:
    run_id: str
    location: str
    job: str
    status: str  # SUCCESS, FAILURE, STARTED, ...


@dataclass(frozen=True)
class LocationState:
    name: str
    load_status: str
    kind: str
    error: str | None


def _error_text(error: dict | None) -> str | None:
    """The error message followed by the messages of its causes."""
    if not error or "message" not in error:
        return None
    return "\n".join([error["message"], *(c["message"] for c in error.get("causes") or [])])


@dataclass
class DagsterUI:
    url: str
    log_file: Path

    def graphql(self, query: str) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def locations(self) -> dict[str, LocationState]:
        entries = self.graphql(LOCATIONS_QUERY)["data"]["workspaceOrError"]["locationEntries"]
        return {
            e["name"]: LocationState(
                e["name"],
                e["loadStatus"],
                (e["locationOrLoadError"] or {}).get("__typename", "None"),
                _error_text(e["locationOrLoadError"]),
            )
            for e in entries
        }

    def runs(self) -> list[RunState]:
        """The instance's latest runs (up to 500), newest first."""
        runs = self.graphql(RUNS_QUERY)["data"]["runsOrError"]
        return [
            RunState(
                r["runId"],
                (r["repositoryOrigin"] or {}).get("repositoryLocationName", ""),
                r["jobName"],
                r["status"],
            )
            for r in runs.get("results", [])
        ]

    def wait_for_locations(self, expected: int, timeout: float = 240) -> dict[str, LocationState]:
        """Poll until ``expected`` locations have finished loading (or failed to)."""
        deadline = time.monotonic() + timeout
        last: dict[str, LocationState] = {}
        while time.monotonic() < deadline:
            try:
                last = self.locations()
            except OSError:
                last = {}
            done = [s for s in last.values() if s.load_status == "LOADED"]
            if len(last) >= expected and len(done) == len(last):
                return last
            time.sleep(1)
        raise TimeoutError(
            f"{expected} locations not loaded after {timeout:.0f}s: {last}; "
            f"log tail:\n{self.log_file.read_text()[-3000:]}"
        )


@contextmanager
def dg_dev(
    workspace_root: Path, dagster_home: Path, env: Mapping[str, str] | None = None
) -> Iterator[DagsterUI]:
    """Serve ``workspace_root`` with ``dg dev`` on 127.0.0.1 and stop it afterwards.

    Each location's code server runs in its own ``locations/<name>/.venv`` (made by
    ``scripts/location-venvs``), as ``scripts/dev`` serves them.
    """
    port = free_port()
    log_file = dagster_home / "dg-dev.log"
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    child_env = {**os.environ, "DAGSTER_HOME": str(dagster_home), **(env or {})}
    argv = ["dg", "dev", "--host", "127.0.0.1", "--port", str(port)]
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=workspace_root,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield DagsterUI(f"http://127.0.0.1:{port}", log_file)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Sensors may have started a location's local Postgres or shared servers (they
        # outlive dg dev; scripts/dev stops them the same way).
        stop_local_clusters(dagster_home)
        stop_shared_servers(dagster_home)
