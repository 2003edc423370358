"""Table loads declared in YAML (``TableLoad`` components) travel as definitions metadata.

Each ``TableLoad`` instance adds one metadata entry to the location's definitions; the
master sensor reads them from its repository and syncs them into ``table_control``. An
entry that does not parse is reported and makes the sync incomplete: then no table is
deactivated (nor when the set is empty), so a broken load never switches every table off.
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


def declared_registrations(
    repository: dg.RepositoryDefinition | None,
) -> tuple[list[TableRegistration], list[str]]:
    """The registrations declared, and the entries that could not be read."""
    if repository is None:
        return [], []
    registrations = []
    errors = []
    for key, value in sorted((repository.metadata or {}).items()):
        if not key.startswith(METADATA_PREFIX):
            continue
        data = value.value if isinstance(value, dg.JsonMetadataValue) else None
        try:
            if not isinstance(data, Mapping):
                raise TypeError("not a JSON object")
            registrations.append(TableRegistration(**{str(k): v for k, v in data.items()}))
        except TypeError as exc:
            errors.append(f"{key.removeprefix(METADATA_PREFIX)}: {exc}")
    return registrations, errors


def sync_declared_tables(
    client: LakebaseClient, repository: dg.RepositoryDefinition | None, log: logging.Logger
) -> SyncResult | None:
    registrations, unreadable = declared_registrations(repository)
    result = client.sync_registrations(REGISTRATION_SOURCE, registrations, complete=not unreadable)
    if result is not None:
        log.info(
            f"synced {len(result.registered)} YAML table registration(s) into table_control; "
            f"deactivated: {', '.join(result.deactivated) or 'none'}"
        )
        for error in [*unreadable, *result.errors]:
            log.error(f"YAML table registration not applied: {error}")
        if result.held_back:
            log.warning(result.held_back)
    return result
