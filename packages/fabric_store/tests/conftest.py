import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fabric_store import FabricStore, azurite_location, local_location
from local_services import ServerProcess


@pytest.fixture(scope="session")
def azurite() -> Iterator[ServerProcess]:
    """Azurite's blob service over HTTP (installed from npm on first use)."""
    from report_simulators.azurite import AzuriteUnavailable, start_azurite, stop_azurite

    try:
        server = start_azurite()
    except AzuriteUnavailable as exc:
        pytest.skip(f"Azurite cannot run here: {exc}")
    try:
        yield server
    finally:
        stop_azurite(server)


@pytest.fixture(params=["local", "azurite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FabricStore:
    """An empty results table in a local folder, then in an Azurite container."""
    if request.param == "local":
        return FabricStore(local_location(tmp_path / "report_results"))
    from report_simulators.azurite import create_container

    server: ServerProcess = request.getfixturevalue("azurite")
    container = f"lake-{uuid.uuid4().hex[:8]}"
    create_container(server.url, container)
    return FabricStore(azurite_location(blob_endpoint=server.url, container=container))
