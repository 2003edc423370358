"""The checks of ``raw_spatial_asset``, run on the file as the lake holds it.

After each conversion the asset reads its published object back and checks that every
geometry is valid, that the file's CRS is the lake's target CRS, and that it holds as many
features as GDAL counted in the source file. A raster is checked for its CRS only. The same
read gives the operator's metadata: size, column schema and a preview.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from platform_alerting import preview

if TYPE_CHECKING:
    from spatial_platform import MinIOResource

VALID_GEOMETRIES = "valid_geometries"
TARGET_CRS = "crs_is_target"
FEATURES_MATCH_SOURCE = "features_match_source"
SOURCE_FEATURES = "source_features"
_EXAMPLES = 5


def raw_spatial_check_specs(asset: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            VALID_GEOMETRIES, asset=asset, description="Every geometry in the lake file is valid."
        ),
        dg.AssetCheckSpec(
            TARGET_CRS, asset=asset, description="The lake file is in the lake's target CRS."
        ),
        dg.AssetCheckSpec(
            FEATURES_MATCH_SOURCE,
            asset=asset,
            description="The lake file holds as many features as the source file.",
        ),
    ]


def _same_crs(found: Any, target: str) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(found).equals(CRS.from_user_input(target), ignore_axis_order=True)


def _crs_result(found: Any, target: str) -> dg.AssetCheckResult:
    if found is None:
        return dg.AssetCheckResult(
            check_name=TARGET_CRS, passed=False, description=f"no CRS; expected {target}"
        )
    from pyproj import CRS

    name = CRS.from_user_input(found).to_string()
    return dg.AssetCheckResult(
        check_name=TARGET_CRS,
        passed=_same_crs(found, target),
        description=f"CRS {name}, target {target}",
        metadata={"crs": name, "target_crs": target},
    )


def geoparquet_checks(
    path: Path, target_crs: str, source_features: int | None
) -> list[dg.AssetCheckResult]:
    """The three checks of a GeoParquet file (geometry read batch by batch, flat memory)."""
    import pyarrow.parquet as pq
    import shapely

    parquet = pq.ParquetFile(path)
    geo = json.loads((parquet.schema_arrow.metadata or {}).get(b"geo", b"{}"))
    column = geo.get("primary_column", "geometry")
    # A GeoParquet column without "crs" is OGC:CRS84 by the specification.
    crs = geo.get("columns", {}).get(column, {}).get("crs", "OGC:CRS84")
    invalid, offset, examples = 0, 0, []
    for batch in parquet.iter_batches(columns=[column]):
        geoms = shapely.from_wkb(batch.column(0).to_numpy(zero_copy_only=False))
        bad = ~shapely.is_missing(geoms) & ~shapely.is_valid(geoms)
        invalid += int(bad.sum())
        if len(examples) < _EXAMPLES:
            reasons = shapely.is_valid_reason(geoms[bad])
            examples += [
                f"row {offset + int(row)}: {reason}"
                for row, reason in zip(bad.nonzero()[0], reasons, strict=True)
            ][: _EXAMPLES - len(examples)]
        offset += batch.num_rows
    rows = parquet.metadata.num_rows
    results = [
        dg.AssetCheckResult(
            check_name=VALID_GEOMETRIES,
            passed=invalid == 0,
            description=f"{invalid} invalid geometries of {rows}"
            + (f" ({'; '.join(examples)})" if examples else ""),
            metadata={"invalid_geometries": invalid, "features": rows},
        ),
        _crs_result(crs, target_crs),
    ]
    if source_features is None or source_features < 0:
        results.append(
            dg.AssetCheckResult(
                check_name=FEATURES_MATCH_SOURCE,
                passed=True,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"{rows} features; the source's count is unknown to GDAL",
                metadata={"features": rows},
            )
        )
    else:
        results.append(
            dg.AssetCheckResult(
                check_name=FEATURES_MATCH_SOURCE,
                passed=rows == source_features,
                description=f"{rows} features in the lake, {source_features} in the source",
                metadata={"features": rows, SOURCE_FEATURES: source_features},
            )
        )
    return results


def cog_checks(path: Path, target_crs: str) -> list[dg.AssetCheckResult]:
    """A raster has no geometries or features: its CRS is checked, the rest do not apply."""
    import rasterio

    with rasterio.open(path) as raster:
        crs = raster.crs.to_wkt() if raster.crs else None
    not_applicable = "a raster: no vector features"
    return [
        dg.AssetCheckResult(check_name=VALID_GEOMETRIES, passed=True, description=not_applicable),
        _crs_result(crs, target_crs),
        dg.AssetCheckResult(
            check_name=FEATURES_MATCH_SOURCE, passed=True, description=not_applicable
        ),
    ]


def published_metadata(path: Path, fmt: str) -> dict[str, Any]:
    """What an operator reads first: the file's size and, for GeoParquet, its columns and
    first rows (geometry as its type)."""
    metadata: dict[str, Any] = {"bytes": dg.MetadataValue.int(path.stat().st_size)}
    if fmt == "cog":
        return metadata
    import pyarrow.parquet as pq
    import shapely

    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    metadata["dagster/column_schema"] = dg.TableSchema(
        columns=[dg.TableColumn(field.name, str(field.type)) for field in schema]
    )
    head = next(parquet.iter_batches(batch_size=5), None)
    if head is not None:
        rows = head.to_pylist()
        geometry = json.loads((schema.metadata or {}).get(b"geo", b"{}")).get("primary_column")
        for row in rows:
            if geometry in row and row[geometry] is not None:
                row[geometry] = shapely.from_wkb(row[geometry]).geom_type
        metadata["preview"] = preview(schema.names, [list(row.values()) for row in rows])
    return metadata


def inspect_published(
    minio: "MinIOResource", metadata: Mapping[str, Any], target_crs: str, folder: Path
) -> tuple[list[dg.AssetCheckResult], dict[str, Any]]:
    """Download the object the asset published (``s3_uri``): its checks and its metadata."""
    uri = str(metadata["s3_uri"])
    key = uri.removeprefix(f"s3://{minio.lake_bucket}/")
    folder.mkdir(parents=True, exist_ok=True)
    path = minio.download_from_lake(key, folder / Path(key).name)
    fmt = str(metadata.get("format"))
    if fmt == "cog":
        checks = cog_checks(path, target_crs)
    else:
        source_features = metadata.get(SOURCE_FEATURES)
        checks = geoparquet_checks(
            path, target_crs, int(source_features) if source_features is not None else None
        )
    return checks, published_metadata(path, fmt)
