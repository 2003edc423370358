"""One partition of ``dataloader__table_load`` per ``table_control`` row (its ``control_key``).

The asset's partition view then shows each table's loads: rows, watermark, duration, the
Databricks run, and what the monitors did to it. The master sensor keeps the partitions in
step with ``table_control``.
"""

from collections.abc import Iterable

import dagster as dg

TABLES = dg.DynamicPartitionsDefinition(name="dataloader_tables")
_INVALID = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


def is_partition_key(control_key: str) -> bool:
    """Whether Dagster accepts ``control_key`` as a partition key."""
    return bool(control_key) and not any(part in control_key for part in _INVALID)


def ensure_partitions(instance: dg.DagsterInstance, control_keys: Iterable[str]) -> list[str]:
    """Add the partitions missing for a few ``control_keys`` (a tick's claims); return them.

    Looks each key up, so a tick's cost does not grow with the number of tables.
    """
    name = TABLES.name or ""
    missing = sorted(
        {k for k in control_keys if is_partition_key(k)}
        - {k for k in control_keys if instance.has_dynamic_partition(name, k)}
    )
    if missing:
        instance.add_dynamic_partitions(name, missing)
    return missing


def sync_partitions(instance: dg.DagsterInstance, control_keys: Iterable[str]) -> None:
    """Make the partitions exactly the tables of ``table_control`` (after a registration
    change): add the missing ones, delete those of tables that no longer exist."""
    name = TABLES.name or ""
    wanted = {k for k in control_keys if is_partition_key(k)}
    known = set(instance.get_dynamic_partitions(name))
    if wanted - known:
        instance.add_dynamic_partitions(name, sorted(wanted - known))
    for key in sorted(known - wanted):
        instance.delete_dynamic_partition(name, key)


def table_event(
    asset_key: dg.AssetKey, control_key: str, description: str, **metadata: str
) -> dg.AssetObservation | None:
    """What a sensor did to one table, recorded on its partition (``None`` if no partition)."""
    if not is_partition_key(control_key):
        return None
    return dg.AssetObservation(
        asset_key=asset_key,
        partition=control_key,
        description=description,
        metadata={"action": description, **metadata},
    )
