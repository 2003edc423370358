"""Publishing a produced file: the lake object, the ledger's asset version, the metadata.

Lake keys are content-addressed (``{kind}/{dataset_id}/{hash16}/data.{ext}``): a retried or
repeated run with the same output writes nothing new and gets the same ledger version back.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from spatial_platform import (
    AssetRecord,
    MinIOResource,
    MongoDBResource,
    file_sha256,
)
from spatial_platform.ledger import AssetFormat, AssetKind

_SUFFIX: dict[str, str] = {"geoparquet": ".parquet", "parquet": ".parquet", "cog": ".tif"}


@dataclass(frozen=True)
class Published:
    dataset_id: str
    version: int
    asset_id: str
    s3_uri: str
    content_hash: str
    deduplicated: bool


def publish(
    *,
    minio: MinIOResource,
    mongodb: MongoDBResource,
    local_path: Path,
    kind: AssetKind,
    fmt: AssetFormat,
    dataset_id: str,
    dagster_run_id: str,
    run_object_id: str,
    crs: str | None,
    bounds: tuple[float, float, float, float] | None,
    feature_count: int | None,
    metadata: dict[str, Any],
) -> Published:
    content_hash = file_sha256(local_path)
    key = f"{kind}/{dataset_id}/{content_hash.removeprefix('sha256:')[:16]}/data{_SUFFIX[fmt]}"
    minio.upload_to_lake(local_path, key)
    registration = mongodb.register_asset(
        AssetRecord(
            s3_key=key,
            dataset_id=dataset_id,
            content_hash=content_hash,
            run_id=run_object_id,
            dagster_run_id=dagster_run_id,
            kind=kind,
            format=fmt,
            crs=crs,
            bounds=None if bounds is None else list(bounds),
            feature_count=feature_count,
            metadata=metadata,
        )
    )
    mongodb.add_asset_to_run(dagster_run_id, registration.asset_id)
    return Published(
        dataset_id=dataset_id,
        version=registration.version,
        asset_id=registration.asset_id,
        s3_uri=f"s3://{minio.lake_bucket}/{registration.s3_key}",
        content_hash=content_hash,
        deduplicated=registration.deduplicated,
    )


def materialization_metadata(
    published: Published,
    *,
    batch_id: str,
    crs: str | None,
    bounds: tuple[float, float, float, float] | None,
    feature_count: int | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The metadata every lane asset reports: CRS, bounds, count, hash, version, where."""
    metadata: dict[str, Any] = {
        "dataset_id": published.dataset_id,
        "batch_id": batch_id,
        "version": dg.MetadataValue.int(published.version),
        "content_hash": published.content_hash,
        "deduplicated": dg.MetadataValue.bool(published.deduplicated),
        "s3_uri": published.s3_uri,
        "ledger_asset_id": published.asset_id,
        "crs": crs or "none",
        "bounds": dg.MetadataValue.json(list(bounds)) if bounds else dg.MetadataValue.null(),
    }
    if feature_count is not None:
        metadata["feature_count"] = dg.MetadataValue.int(feature_count)
    return {**metadata, **(extra or {})}
