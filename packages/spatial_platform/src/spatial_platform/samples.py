"""Small generated spatial and tabular files: local sample data, test inputs, benchmarks.

Vector features are squares on a grid in Web Mercator (EPSG:3857) around Melbourne, every
``invalid_every``-th one a self-intersecting "bow tie" that needs repair; the raster is a
gradient in the same CRS; the CSV carries the vector's ``region_code`` under a messy header
so joins and header normalisation have something to do.
"""

from pathlib import Path

ORIGIN_X, ORIGIN_Y = 16_137_000.0, -4_553_000.0  # Melbourne, EPSG:3857
CELL = 250.0


def region_code(index: int) -> str:
    return f"R{index:07d}"


def write_sample_vector(
    path: str | Path,
    features: int = 100,
    *,
    invalid_every: int = 10,
    crs: str = "EPSG:3857",
    driver: str = "GPKG",
) -> Path:
    """``features`` polygons with ``region_code``, ``name`` and ``area_m2`` attributes."""
    import numpy as np
    import pyarrow as pa
    import pyogrio
    import shapely

    index = np.arange(features)
    side = int(np.ceil(np.sqrt(max(features, 1))))
    x0 = ORIGIN_X + (index % side) * CELL
    y0 = ORIGIN_Y + (index // side) * CELL
    size = CELL * 0.8
    # Squares as (5, 2) rings; bow ties swap two corners so the ring crosses itself.
    rings = np.stack(
        [
            np.column_stack([x0, y0]),
            np.column_stack([x0 + size, y0]),
            np.column_stack([x0 + size, y0 + size]),
            np.column_stack([x0, y0 + size]),
            np.column_stack([x0, y0]),
        ],
        axis=1,
    )
    if invalid_every > 0:
        bad = index % invalid_every == invalid_every - 1
        rings[bad, 1], rings[bad, 2] = rings[bad, 2].copy(), rings[bad, 1].copy()
    geoms = shapely.polygons(rings)
    table = pa.table(
        {
            "region_code": pa.array([region_code(i) for i in range(features)]),
            "name": pa.array([f"Region {i}" for i in range(features)]),
            "area_m2": pa.array(np.full(features, size * size)),
            "geometry": pa.array(shapely.to_wkb(geoms), type=pa.binary()),
        }
    )
    path = Path(path)
    pyogrio.write_arrow(
        table,
        str(path),
        driver=driver,
        layer=path.stem,
        geometry_name="geometry",
        geometry_type="Polygon",
        crs=crs,
    )
    return path


def write_sample_raster(
    path: str | Path, width: int = 64, height: int = 48, *, crs: str | None = "EPSG:3857"
) -> Path:
    """A one-band ``uint16`` GeoTIFF gradient over the vector sample's area."""
    import numpy as np
    import rasterio
    from affine import Affine

    data = (np.add.outer(np.arange(height), np.arange(width)) % 65535).astype("uint16")
    transform = Affine.translation(ORIGIN_X, ORIGIN_Y + height * 100.0) @ Affine.scale(
        100.0, -100.0
    )
    with rasterio.open(
        str(path),
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="uint16",
        crs=crs,
        transform=transform,
    ) as dst:
        dst.write(data, 1)
    return Path(path)


def write_sample_csv(path: str | Path, rows: int = 100) -> Path:
    """A CSV keyed by ``Region Code`` with headers that need normalising."""
    lines = ["Region Code,Population Total,Median Age (years)"]
    lines += [f"{region_code(i)},{1000 + 7 * i},{30 + i % 40}" for i in range(rows)]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path
