"""Table loads declared in YAML (``TableLoad`` components) travel as definitions metadata.

Each ``TableLoad`` instance adds one metadata entry to the location's definitions; the
master sensor reads them from its repository and syncs them into ``table_control``.
"""

import logging
from collections.abc import Mapping

import dagster as dg

from lakebase import LakebaseClient, SyncResult, TableRegistration

METADATA_PREFIX = "dataloader/table/"
REGISTRATION_SOURCE = "yaml"


def registration_metadata(registration: TableRegistration) -> dict[str, dg.MetadataValue]:
    return {
        f"{METADATA_PREFIX}{registration.control_key}": dg.MetadataValue.json(registration.__dict__)
    }


def declared_registrations(repository: dg.RepositoryDefinition | None) -> list[TableRegistration]:
    if repository is None:
        return []
    registrations = []
    for key, value in sorted((repository.metadata or {}).items()):
        data = value.value if isinstance(value, dg.JsonMetadataValue) else None
        if key.startswith(METADATA_PREFIX) and isinstance(data, Mapping):
            registrations.append(TableRegistration(**{str(k): v for k, v in data.items()}))
    return registrations


def sync_declared_tables(
    client: LakebaseClient, repository: dg.RepositoryDefinition | None, log: logging.Logger
) -> SyncResult | None:
    result = client.sync_registrations(REGISTRATION_SOURCE, declared_registrations(repository))
    if result is not None:
        log.info(
            f"synced {len(result.registered)} YAML table registration(s) into table_control; "
            f"deactivated: {', '.join(result.deactivated) or 'none'}"
        )
    return result
