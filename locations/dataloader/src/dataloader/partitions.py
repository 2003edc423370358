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
    """Add the partitions missing for ``control_keys``; return the keys added."""
    known = set(instance.get_dynamic_partitions(TABLES.name or ""))
    missing = sorted({k for k in control_keys if is_partition_key(k)} - known)
    if missing:
        instance.add_dynamic_partitions(TABLES.name or "", missing)
    return missing


def remove_partitions(instance: dg.DagsterInstance, keep: Iterable[str]) -> list[str]:
    """Delete the partitions of tables no longer in ``table_control``; return them."""
    gone = sorted(set(instance.get_dynamic_partitions(TABLES.name or "")) - set(keep))
    for key in gone:
        instance.delete_dynamic_partition(TABLES.name or "", key)
    return gone


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
