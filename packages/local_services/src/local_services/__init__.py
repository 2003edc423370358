"""Real services that stand in for cloud ones on a laptop and in tests.

Each runs as its own process on 127.0.0.1 and speaks the production protocol, so the code
under test is the code that runs in production; only connection settings differ.
"""

from local_services.network import free_port, wait_for_port
from local_services.postgres import PostgresCluster, PostgresUnavailable
from local_services.servers import (
    MongoDBServerUnavailable,
    ServerProcess,
    start_gcs_emulator,
    start_mongodb_server,
    start_s3_server,
)
from local_services.state import state_dir, stop_local_clusters

__all__ = [
    "MongoDBServerUnavailable",
    "PostgresCluster",
    "PostgresUnavailable",
    "ServerProcess",
    "free_port",
    "start_gcs_emulator",
    "start_mongodb_server",
    "start_s3_server",
    "state_dir",
    "stop_local_clusters",
    "wait_for_port",
]
