"""Run tags that tie a Dagster run to its Lakebase row and claim (and back)."""

import dagster as dg

CONTROL_KEY_TAG = "dataloader/control_key"
CONFIG_ID_TAG = "dataloader/config_id"
METADATA_ID_TAG = "dataloader/metadata_id"
RETRY_OF_TAG = "dataloader/retry_of"  # <config_id>:<failed_at> of the failure analysed


def claim_of(run: dg.DagsterRun) -> tuple[int, int] | None:
    """``(config_id, metadata_id)`` of a load run, or ``None`` for other runs."""
    config_id, metadata_id = run.tags.get(CONFIG_ID_TAG), run.tags.get(METADATA_ID_TAG)
    if not (config_id and metadata_id and config_id.isdigit() and metadata_id.isdigit()):
        return None
    return int(config_id), int(metadata_id)


def runs_of_claim(instance: dg.DagsterInstance, metadata_id: int | None) -> list[dg.DagsterRun]:
    """The Dagster runs created for claim ``metadata_id`` (newest first)."""
    if metadata_id is None:
        return []
    return list(instance.get_runs(filters=dg.RunsFilter(tags={METADATA_ID_TAG: str(metadata_id)})))
