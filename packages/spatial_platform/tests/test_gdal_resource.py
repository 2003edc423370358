"""GDALResource on small generated files: vector to GeoParquet, raster to COG, ogr2ogr."""

import json
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import rasterio
import shapely

from spatial_platform import GDALResource, SpatialFileError
from spatial_platform.geoparquet import read_geo_metadata
from spatial_platform.samples import write_sample_csv, write_sample_raster, write_sample_vector


@pytest.fixture
def gdal() -> GDALResource:
    return GDALResource(batch_size=16)  # several batches even for small files


def test_vector_is_repaired_reprojected_and_written_as_geoparquet(
    gdal: GDALResource, tmp_path: Path
) -> None:
    source = write_sample_vector(tmp_path / "parcels.gpkg", 50, invalid_every=10)
    result = gdal.vector_to_geoparquet(source, tmp_path / "parcels.parquet")
    assert (result.feature_count, result.repaired_count, result.null_geometry_count) == (50, 5, 0)
    assert (result.crs, result.source_crs) == ("EPSG:4326", "EPSG:3857")
    assert result.columns == ["region_code", "name", "area_m2"]
    minx, miny, maxx, maxy = result.bounds or (0, 0, 0, 0)
    assert 144.9 < minx < maxx < 145.1 and -37.9 < miny < maxy < -37.7
    table = pq.read_table(result.path)
    geoms = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    assert shapely.is_valid(geoms).all()
    assert table.column("region_code").to_pylist()[:2] == ["R0000000", "R0000001"]
    geo = read_geo_metadata(result.path)
    column = geo["columns"]["geometry"]
    assert (geo["primary_column"], column["encoding"]) == ("geometry", "WKB")
    assert column["geometry_types"] == ["MultiPolygon", "Polygon"]
    assert column["bbox"] == pytest.approx(list(result.bounds or ()))
    assert column["crs"]["id"] == {"authority": "EPSG", "code": 4326}


def test_vector_without_repair_keeps_invalid_geometries(gdal: GDALResource, tmp_path: Path) -> None:
    source = write_sample_vector(tmp_path / "p.gpkg", 20, invalid_every=10)
    result = gdal.vector_to_geoparquet(source, tmp_path / "p.parquet", repair=False)
    geoms = shapely.from_wkb(pq.read_table(result.path).column("geometry").to_pylist())
    assert result.repaired_count == 0
    assert int((~shapely.is_valid(geoms)).sum()) == 2


def test_vector_already_in_the_target_crs_is_not_moved(gdal: GDALResource, tmp_path: Path) -> None:
    source = write_sample_vector(
        tmp_path / "p.geojson", 4, invalid_every=0, crs="EPSG:4326", driver="GeoJSON"
    )
    before = gdal.read_vector(source)
    result = gdal.vector_to_geoparquet(source, tmp_path / "p.parquet")
    after = pq.read_table(result.path)
    assert after.column("geometry").to_pylist() == before.column("geometry").to_pylist()


def test_unreadable_vector_names_the_file(gdal: GDALResource, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.gpkg"
    corrupt.write_bytes(b"not a geopackage")
    with pytest.raises(
        SpatialFileError, match=re.escape("corrupt.gpkg: not a readable vector file")
    ):
        gdal.vector_to_geoparquet(corrupt, tmp_path / "out.parquet")
    with pytest.raises(SpatialFileError, match=re.escape("missing.gpkg")):
        gdal.vector_to_geoparquet(tmp_path / "missing.gpkg", tmp_path / "out.parquet")


def test_vector_without_a_crs_needs_one_named(gdal: GDALResource, tmp_path: Path) -> None:
    source = tmp_path / "nocrs.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"a": 1},
                        "geometry": {"type": "Point", "coordinates": [16137000, -4553000]},
                    }
                ],
            }
        )
    )
    # GeoJSON defaults to WGS 84; a CSV of WKT has no CRS at all.
    csv = tmp_path / "nocrs.csv"
    csv.write_text('WKT,a\n"POINT (16137000 -4553000)",1\n')
    with pytest.raises(SpatialFileError, match="declares no CRS"):
        gdal.vector_to_geoparquet(csv, tmp_path / "out.parquet")
    result = gdal.vector_to_geoparquet(csv, tmp_path / "out.parquet", source_crs="EPSG:3857")
    assert result.source_crs == "EPSG:3857"
    assert result.bounds is not None and result.bounds[0] == pytest.approx(144.961, abs=1e-3)


def test_raster_is_reprojected_to_a_cloud_optimized_geotiff(
    gdal: GDALResource, tmp_path: Path
) -> None:
    source = write_sample_raster(tmp_path / "dem.tif")
    result = gdal.raster_to_cog(source, tmp_path / "dem_cog.tif")
    assert (result.crs, result.source_crs, result.driver) == ("EPSG:4326", "EPSG:3857", "COG")
    assert result.band_count == 1 and result.dtype == "uint16"
    with rasterio.open(result.path) as cog:
        assert cog.crs.to_epsg() == 4326
        assert cog.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert 144.9 < result.bounds[0] < result.bounds[2] < 145.1


def test_raster_without_a_crs_is_refused(gdal: GDALResource, tmp_path: Path) -> None:
    source = write_sample_raster(tmp_path / "nocrs.tif", crs=None)
    with pytest.raises(SpatialFileError, match=re.escape("nocrs.tif: declares no CRS")):
        gdal.raster_to_cog(source, tmp_path / "out.tif")
    assert (
        gdal.raster_to_cog(source, tmp_path / "out.tif", source_crs="EPSG:3857").crs == "EPSG:4326"
    )


def test_corrupt_raster_names_the_file(gdal: GDALResource, tmp_path: Path) -> None:
    corrupt = write_sample_csv(tmp_path / "corrupt.tif")
    with pytest.raises(SpatialFileError, match=re.escape("corrupt.tif")):
        gdal.raster_to_cog(corrupt, tmp_path / "out.tif")


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="ogr2ogr needs gdal-bin (apt)")
def test_ogr2ogr_converts_with_the_same_repair_and_reprojection(
    gdal: GDALResource, tmp_path: Path
) -> None:
    source = write_sample_vector(tmp_path / "p.gpkg", 20)
    done = gdal.ogr2ogr(
        source,
        tmp_path / "p.fgb",
        driver="FlatGeobuf",
        t_srs="EPSG:4326",
        make_valid=True,
        extra=["-nlt", "PROMOTE_TO_MULTI"],
    )
    assert done.ok, done.stderr
    assert gdal.vector_info(tmp_path / "p.fgb")["features"] == 20
    failed = gdal.ogr2ogr(tmp_path / "missing.gpkg", tmp_path / "x.fgb", driver="FlatGeobuf")
    assert not failed.ok and "missing.gpkg" in failed.stderr


def test_a_missing_ogr2ogr_says_what_to_install(tmp_path: Path) -> None:
    gdal = GDALResource(ogr2ogr_path="/nonexistent/ogr2ogr")
    with pytest.raises(FileNotFoundError, match="apt-get install -y gdal-bin"):
        gdal.ogr2ogr(tmp_path / "a.gpkg", tmp_path / "b.fgb", driver="FlatGeobuf")


def test_write_vector_converts_to_other_formats(gdal: GDALResource, tmp_path: Path) -> None:
    source = write_sample_vector(tmp_path / "p.gpkg", 5, invalid_every=0, crs="EPSG:4326")
    out = gdal.write_vector(gdal.read_vector(source), tmp_path / "p.fgb", driver="FlatGeobuf")
    assert gdal.vector_info(out)["features"] == 5


def test_both_make_valid_methods_repair(tmp_path: Path) -> None:
    source = write_sample_vector(tmp_path / "p.gpkg", 20, invalid_every=5)
    for method in ("structure", "linework"):
        gdal = GDALResource(make_valid_method=method)
        result = gdal.vector_to_geoparquet(source, tmp_path / f"{method}.parquet")
        geoms = shapely.from_wkb(pq.read_table(result.path).column("geometry").to_pylist())
        assert result.repaired_count == 4
        assert shapely.is_valid(geoms).all()
        # A bow tie becomes its two triangles: no area is lost.
        assert shapely.area(geoms[4]) == pytest.approx(shapely.area(geoms[0]) / 2)


def test_read_raster_returns_pixels_and_profile(gdal: GDALResource, tmp_path: Path) -> None:
    pixels, profile = gdal.read_raster(write_sample_raster(tmp_path / "r.tif", 8, 4))
    assert pixels.shape == (4, 8) and int(pixels[3, 7]) == 10
    assert profile["crs"].to_epsg() == 3857 and profile["dtype"] == "uint16"
    with pytest.raises(SpatialFileError, match="cannot read band 2"):
        gdal.read_raster(tmp_path / "r.tif", band=2)
