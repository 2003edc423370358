"""Streaming GeoParquet writer: WKB geometry column plus the GeoParquet 1.1 ``geo`` metadata.

The GDAL builds at hand (the wheels' and Debian's) have no Parquet driver, so the file is
written with pyarrow and the ``geo`` key is added when the last batch has given the bbox.
"""

import json
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

GEOPARQUET_VERSION = "1.1.0"


class GeoParquetWriter:
    """Write Arrow batches whose ``geometry_column`` holds WKB; close() adds ``geo`` metadata."""

    def __init__(
        self,
        path: str | Path,
        schema: "pa.Schema",
        geometry_column: str,
        crs_projjson: dict[str, Any] | None,
        compression: str = "zstd",
    ) -> None:
        import pyarrow.parquet as pq

        self.geometry_column = geometry_column
        self.crs = crs_projjson
        self.geometry_types: set[str] = set()
        self.bbox: list[float] | None = None
        self.rows = 0
        # Without ARROW:schema, readers build the schema from the footer, "geo" included.
        self._writer: pq.ParquetWriter = pq.ParquetWriter(
            str(path), schema, compression=compression, store_schema=False
        )

    def write(
        self, batch: "pa.RecordBatch | pa.Table", geometry_types: set[str], bbox: list[float] | None
    ) -> None:
        self._writer.write(batch)
        self.rows += batch.num_rows
        self.geometry_types |= geometry_types
        if bbox is not None:
            self.bbox = (
                bbox
                if self.bbox is None
                else [
                    min(self.bbox[0], bbox[0]),
                    min(self.bbox[1], bbox[1]),
                    max(self.bbox[2], bbox[2]),
                    max(self.bbox[3], bbox[3]),
                ]
            )

    def close(self) -> None:
        column: dict[str, Any] = {
            "encoding": "WKB",
            "geometry_types": sorted(self.geometry_types),
        }
        if self.crs is not None:
            column["crs"] = self.crs
        if self.bbox is not None:
            column["bbox"] = self.bbox
        geo = {
            "version": GEOPARQUET_VERSION,
            "primary_column": self.geometry_column,
            "columns": {self.geometry_column: column},
        }
        self._writer.add_key_value_metadata({"geo": json.dumps(geo)})
        self._writer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def geometry_types(geoms: "np.ndarray") -> set[str]:
    """GeoParquet ``geometry_types`` names of shapely geometries (missing ones ignored)."""
    import shapely

    names = (
        "Point",
        "LineString",
        "LineString",  # LinearRing
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
    )
    ids = shapely.get_type_id(geoms)
    return {names[i] for i in set(ids.tolist()) if 0 <= i < len(names)}


def geometry_bbox(geoms: "np.ndarray") -> list[float] | None:
    """[minx, miny, maxx, maxy] over shapely geometries; None when all are missing."""
    import numpy as np
    import shapely

    bounds = shapely.bounds(geoms)
    if bounds.size == 0 or np.isnan(bounds).all():
        return None
    return [
        float(np.nanmin(bounds[:, 0])),
        float(np.nanmin(bounds[:, 1])),
        float(np.nanmax(bounds[:, 2])),
        float(np.nanmax(bounds[:, 3])),
    ]


def write_geoparquet(
    table: "pa.Table", path: str | Path, geometry_column: str, crs: str = "EPSG:4326"
) -> GeoParquetWriter:
    """Write a whole Arrow table (WKB in ``geometry_column``) as GeoParquet; the closed writer
    tells the bbox and geometry types it recorded."""
    import pyarrow as pa
    import shapely
    from pyproj import CRS

    column = table.column(geometry_column)
    if not pa.types.is_binary(column.type):
        table = table.set_column(
            table.schema.get_field_index(geometry_column),
            geometry_column,
            column.cast(pa.binary()),
        )
    geoms = shapely.from_wkb(table.column(geometry_column).to_numpy(zero_copy_only=False))
    writer = GeoParquetWriter(
        path, table.schema, geometry_column, CRS.from_user_input(crs).to_json_dict()
    )
    writer.write(table, geometry_types(geoms), geometry_bbox(geoms))
    writer.close()
    return writer


def read_geo_metadata(path: str | Path) -> dict[str, Any]:
    """The ``geo`` metadata of a GeoParquet file (``{}`` when it has none)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(str(path)).metadata or {}
    raw = metadata.get(b"geo")
    return json.loads(raw) if raw else {}


def read_table(path: str | Path) -> "pa.Table":
    import pyarrow.parquet as pq

    return pq.read_table(str(path))


__all__ = [
    "GEOPARQUET_VERSION",
    "GeoParquetWriter",
    "geometry_bbox",
    "geometry_types",
    "read_geo_metadata",
    "read_table",
    "write_geoparquet",
]
