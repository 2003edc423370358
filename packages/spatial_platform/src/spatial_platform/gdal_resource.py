"""``GDALResource``: vector and raster read, convert and reproject.

GDAL comes through the ``pyogrio``, ``rasterio``, ``shapely`` and ``pyproj`` wheels (no
system GDAL or ``gdal`` bindings needed); ``ogr2ogr`` runs as a subprocess where it is
installed. Every import of those libraries happens inside a method, so loading definitions
never pays for them. Tests replace the resource like any other.
"""

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import dagster as dg

from spatial_platform.geoparquet import GeoParquetWriter, geometry_bbox, geometry_types

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

TARGET_CRS = "EPSG:4326"
GEOMETRY_COLUMN = "geometry"
Bounds = tuple[float, float, float, float]


class SpatialFileError(ValueError):
    """A file that GDAL cannot read as the manifest says it is (missing, corrupt, no CRS)."""


@dataclass(frozen=True)
class VectorResult:
    """What a vector conversion wrote."""

    path: Path
    feature_count: int
    crs: str
    source_crs: str
    bounds: Bounds | None
    geometry_types: list[str]
    repaired_count: int
    null_geometry_count: int
    columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RasterResult:
    """What a raster conversion wrote."""

    path: Path
    crs: str
    source_crs: str
    bounds: Bounds
    width: int
    height: int
    band_count: int
    dtype: str
    driver: str


@dataclass(frozen=True)
class GDALResult:
    """The outcome of a GDAL command-line tool."""

    command: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class GDALResource(dg.ConfigurableResource):
    """Spatial file operations; ``target_crs`` is where everything lands (EPSG:4326)."""

    target_crs: str = TARGET_CRS
    batch_size: int = 65_536
    # GEOS MakeValid: "structure" (rings rebuilt as areas, as PostGIS's method=structure)
    # runs about 7x faster than "linework" on self-intersecting polygons.
    make_valid_method: Literal["structure", "linework"] = "structure"
    ogr2ogr_path: str = "ogr2ogr"
    cog_compression: str = "DEFLATE"

    # -- vector ---------------------------------------------------------------------------

    def vector_info(self, path: str | Path, layer: str | None = None) -> dict[str, Any]:
        """Layer information (CRS, feature count, fields, geometry type) without reading data."""
        import pyogrio

        try:
            return dict(pyogrio.read_info(str(path), layer=layer))
        except Exception as exc:  # pyogrio raises several error types for unreadable input
            raise SpatialFileError(
                f"{Path(path).name}: not a readable vector file ({exc})"
            ) from exc

    def read_vector(self, path: str | Path, layer: str | None = None) -> "pa.Table":
        """All features as an Arrow table, geometry as WKB in ``geometry``."""
        import pyogrio

        try:
            meta, table = pyogrio.read_arrow(str(path), layer=layer)
        except Exception as exc:
            raise SpatialFileError(
                f"{Path(path).name}: not a readable vector file ({exc})"
            ) from exc
        return table.rename_columns(
            [
                GEOMETRY_COLUMN if n == meta["geometry_name"] or n == "wkb_geometry" else n
                for n in table.column_names
            ]
        )

    def vector_to_geoparquet(
        self,
        source: str | Path,
        destination: str | Path,
        *,
        layer: str | None = None,
        source_crs: str | None = None,
        repair: bool = True,
    ) -> VectorResult:
        """Read, repair invalid geometries (``make_valid``), reproject, write GeoParquet.

        Streams in batches of ``batch_size`` features, so memory follows the batch, not the
        file. ``source_crs`` is needed only when the file declares none.
        """
        import pyogrio
        import shapely
        from pyproj import CRS

        info = self.vector_info(source, layer)
        declared = info.get("crs") or source_crs
        if not declared:
            raise SpatialFileError(
                f"{Path(source).name}: declares no CRS; add one to the file (e.g. a .prj) "
                "or name it in the manifest"
            )
        src_crs, dst_crs = CRS.from_user_input(declared), CRS.from_user_input(self.target_crs)
        project = _projector(src_crs, dst_crs)
        repaired = nulls = rows = 0
        writer: GeoParquetWriter | None = None
        columns: list[str] = []
        try:
            with pyogrio.open_arrow(
                str(source), layer=layer, batch_size=self.batch_size, use_pyarrow=True
            ) as stream:
                meta, reader = stream
                geometry_name = meta["geometry_name"] or "wkb_geometry"
                for batch in reader:
                    geoms = shapely.from_wkb(
                        batch.column(geometry_name).to_numpy(zero_copy_only=False)
                    )
                    present = ~shapely.is_missing(geoms)
                    nulls += int((~present).sum())
                    if repair:
                        invalid = present & ~shapely.is_valid(geoms)
                        if invalid.any():
                            repaired += int(invalid.sum())
                            geoms[invalid] = _make_valid(geoms[invalid], self.make_valid_method)
                    if project is not None:
                        geoms = project(geoms)
                    out = _replace_geometry(batch, geometry_name, geoms)
                    if writer is None:
                        columns = [n for n in out.schema.names if n != GEOMETRY_COLUMN]
                        writer = GeoParquetWriter(
                            destination, out.schema, GEOMETRY_COLUMN, dst_crs.to_json_dict()
                        )
                    writer.write(out, geometry_types(geoms), geometry_bbox(geoms))
                    rows += batch.num_rows
        except Exception as exc:
            raise SpatialFileError(f"{Path(source).name}: could not be converted ({exc})") from exc
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise SpatialFileError(f"{Path(source).name}: holds no features")
        bbox = writer.bbox
        return VectorResult(
            path=Path(destination),
            feature_count=rows,
            crs=self.target_crs,
            source_crs=_crs_name(src_crs),
            bounds=None if bbox is None else (bbox[0], bbox[1], bbox[2], bbox[3]),
            geometry_types=sorted(writer.geometry_types),
            repaired_count=repaired,
            null_geometry_count=nulls,
            columns=columns,
        )

    def write_vector(
        self, table: "pa.Table", destination: str | Path, driver: str, crs: str | None = None
    ) -> Path:
        """Write an Arrow table (WKB ``geometry``) in any OGR format the wheel supports."""
        import pyogrio

        pyogrio.write_arrow(
            table,
            str(destination),
            driver=driver,
            geometry_name=GEOMETRY_COLUMN,
            geometry_type="Unknown",
            crs=crs or self.target_crs,
        )
        return Path(destination)

    # -- raster ---------------------------------------------------------------------------

    def raster_info(self, path: str | Path) -> dict[str, Any]:
        """CRS, bounds, size, band count and dtype of a raster."""
        import rasterio
        from rasterio.errors import RasterioError

        try:
            with rasterio.open(str(path)) as src:
                return {
                    "crs": src.crs.to_string() if src.crs else None,
                    "bounds": tuple(src.bounds),
                    "width": src.width,
                    "height": src.height,
                    "count": src.count,
                    "dtype": src.dtypes[0],
                    "driver": src.driver,
                }
        except RasterioError as exc:
            raise SpatialFileError(f"{Path(path).name}: not a readable raster ({exc})") from exc

    def read_raster(self, path: str | Path, band: int = 1) -> tuple["np.ndarray", dict[str, Any]]:
        """One band's pixels and the raster's profile (CRS, transform, size, dtype, nodata)."""
        import rasterio
        from rasterio.errors import RasterioError

        try:
            with rasterio.open(str(path)) as src:
                return src.read(band), dict(src.profile)
        except (RasterioError, IndexError) as exc:
            raise SpatialFileError(f"{Path(path).name}: cannot read band {band} ({exc})") from exc

    def raster_to_cog(
        self, source: str | Path, destination: str | Path, *, source_crs: str | None = None
    ) -> RasterResult:
        """Reproject a raster to ``target_crs`` and write it as a Cloud-Optimized GeoTIFF."""
        import rasterio
        import rasterio.shutil
        from rasterio.crs import CRS
        from rasterio.errors import RasterioError
        from rasterio.vrt import WarpedVRT

        try:
            with rasterio.open(str(source)) as src:
                declared = src.crs or (CRS.from_user_input(source_crs) if source_crs else None)
                if declared is None:
                    raise SpatialFileError(
                        f"{Path(source).name}: declares no CRS; georeference it or name the "
                        "CRS in the manifest"
                    )
                target = CRS.from_user_input(self.target_crs)
                with WarpedVRT(src, src_crs=declared, crs=target, resampling=_resampling()) as vrt:
                    rasterio.shutil.copy(
                        vrt,
                        str(destination),
                        driver="COG",
                        COMPRESS=self.cog_compression,
                        BLOCKSIZE=512,
                        OVERVIEWS="AUTO",
                    )
                source_name = declared.to_string()
        except RasterioError as exc:
            raise SpatialFileError(f"{Path(source).name}: could not be converted ({exc})") from exc
        info = self.raster_info(destination)
        return RasterResult(
            path=Path(destination),
            crs=self.target_crs,
            source_crs=source_name,
            bounds=info["bounds"],
            width=info["width"],
            height=info["height"],
            band_count=info["count"],
            dtype=info["dtype"],
            driver="COG",
        )

    # -- command line -------------------------------------------------------------------------

    def ogr2ogr_available(self) -> bool:
        return shutil.which(self.ogr2ogr_path) is not None

    def ogr2ogr(
        self,
        source: str | Path,
        destination: str | Path,
        *,
        driver: str,
        t_srs: str | None = None,
        make_valid: bool = False,
        extra: Sequence[str] = (),
    ) -> GDALResult:
        """Run ``ogr2ogr`` (installed with gdal-bin); ``GDALResult.ok`` tells success."""
        if not self.ogr2ogr_available():
            raise FileNotFoundError(
                f"{self.ogr2ogr_path} is not installed: `apt-get install -y gdal-bin`"
            )
        command = [self.ogr2ogr_path, "-f", driver, str(destination), str(source)]
        if t_srs:
            command += ["-t_srs", t_srs]
        if make_valid:
            command.append("-makevalid")
        command += list(extra)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        return GDALResult(command, done.returncode, done.stdout, done.stderr)


def _projector(src: Any, dst: Any) -> Any:
    """A vectorised reprojection of shapely geometries, or None when the CRSs are equal."""
    if src == dst:
        return None
    import numpy as np
    import shapely
    from pyproj import Transformer

    transformer = Transformer.from_crs(src, dst, always_xy=True)

    def transform(coords: "np.ndarray") -> "np.ndarray":
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return lambda geoms: shapely.transform(geoms, transform)


def _replace_geometry(batch: Any, geometry_name: str, geoms: "np.ndarray") -> "pa.Table":
    import pyarrow as pa
    import shapely

    wkb = pa.array(shapely.to_wkb(geoms), type=pa.binary())
    index = batch.schema.get_field_index(geometry_name)
    table = pa.Table.from_batches([batch])
    return table.set_column(index, GEOMETRY_COLUMN, wkb)


def _make_valid(geoms: "np.ndarray", method: str) -> "np.ndarray":
    import shapely

    if method == "structure":
        return shapely.make_valid(geoms, method="structure", keep_collapsed=True)
    return shapely.make_valid(geoms)


def _crs_name(crs: Any) -> str:
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else crs.to_string()


def _resampling() -> Any:
    from rasterio.enums import Resampling

    return Resampling.nearest
