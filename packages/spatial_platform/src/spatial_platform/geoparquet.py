"""Streaming GeoParquet writer: WKB geometry column plus the GeoParquet 1.1 ``geo`` metadata.

The GDAL builds at hand (the wheels' and Debian's) have no Parquet driver, so the file is
written with pyarrow and the ``geo`` key is added when the last batch has given the bbox.
"""

import json
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
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


def read_geo_metadata(path: str | Path) -> dict[str, Any]:
    """The ``geo`` metadata of a GeoParquet file (``{}`` when it has none)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(str(path)).metadata or {}
    raw = metadata.get(b"geo")
    return json.loads(raw) if raw else {}


def read_table(path: str | Path) -> "pa.Table":
    import pyarrow.parquet as pq

    return pq.read_table(str(path))


__all__ = ["GEOPARQUET_VERSION", "GeoParquetWriter", "read_geo_metadata", "read_table"]
