"""The checks of raw_spatial_asset on real files converted by GDAL: a good file passes, an
unrepaired, misprojected or short one fails, each for its own reason."""

from pathlib import Path

import dagster as dg
import pytest

from spatial_etl.checks.lake_file import (
    FEATURES_MATCH_SOURCE,
    TARGET_CRS,
    VALID_GEOMETRIES,
    cog_checks,
    geoparquet_checks,
    published_metadata,
)
from spatial_platform import GDALResource
from spatial_platform.samples import write_sample_raster, write_sample_vector

TARGET = "EPSG:4326"


def outcome(results: list[dg.AssetCheckResult]) -> dict[str, bool]:
    return {str(result.check_name): result.passed for result in results}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 30 features, every 10th a self-intersecting polygon, in EPSG:3857.
    return write_sample_vector(
        tmp_path_factory.mktemp("src") / "parcels.gpkg", 30, invalid_every=10
    )


def test_a_repaired_reprojected_complete_file_passes_all_three(
    source: Path, tmp_path: Path
) -> None:
    converted = GDALResource().vector_to_geoparquet(source, tmp_path / "data.parquet")

    results = geoparquet_checks(converted.path, TARGET, 30)

    assert outcome(results) == {
        VALID_GEOMETRIES: True,
        TARGET_CRS: True,
        FEATURES_MATCH_SOURCE: True,
    }


def test_unrepaired_geometries_fail_with_rows_and_reasons(source: Path, tmp_path: Path) -> None:
    converted = GDALResource().vector_to_geoparquet(source, tmp_path / "raw.parquet", repair=False)

    (valid,) = [
        r for r in geoparquet_checks(converted.path, TARGET, 30) if r.check_name == VALID_GEOMETRIES
    ]

    assert not valid.passed
    assert (valid.description or "").startswith(
        "3 invalid geometries of 30 (row 9: Self-intersection"
    )


def test_a_file_in_another_crs_fails_the_crs_check(source: Path, tmp_path: Path) -> None:
    converted = GDALResource(target_crs="EPSG:3857").vector_to_geoparquet(
        source, tmp_path / "mercator.parquet"
    )

    assert outcome(geoparquet_checks(converted.path, TARGET, 30))[TARGET_CRS] is False


def test_fewer_features_than_the_source_fails_the_count(source: Path, tmp_path: Path) -> None:
    converted = GDALResource().vector_to_geoparquet(source, tmp_path / "data.parquet")

    (count,) = [
        r
        for r in geoparquet_checks(converted.path, TARGET, 31)
        if r.check_name == FEATURES_MATCH_SOURCE
    ]

    assert not count.passed
    assert count.description == "30 features in the lake, 31 in the source"


def test_a_raster_is_checked_for_its_crs(tmp_path: Path) -> None:
    cog = GDALResource().raster_to_cog(
        write_sample_raster(tmp_path / "dem.tif"), tmp_path / "dem_cog.tif"
    )

    assert outcome(cog_checks(cog.path, TARGET)) == {
        VALID_GEOMETRIES: True,
        TARGET_CRS: True,
        FEATURES_MATCH_SOURCE: True,
    }
    assert outcome(cog_checks(cog.path, "EPSG:3857"))[TARGET_CRS] is False


def test_the_published_file_gives_size_columns_and_a_preview(source: Path, tmp_path: Path) -> None:
    converted = GDALResource().vector_to_geoparquet(source, tmp_path / "data.parquet")

    metadata = published_metadata(converted.path, "geoparquet")

    assert metadata["bytes"] == dg.IntMetadataValue(converted.path.stat().st_size)
    schema = metadata["dagster/column_schema"]
    assert "geometry" in [column.name for column in schema.columns]
    table = str(metadata["preview"].value)
    assert table.count("\n") == 6 and "Polygon" in table  # header, rule, five rows
