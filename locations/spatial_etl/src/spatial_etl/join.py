"""The join of a tabular asset onto a spatial asset, computed in the run's ephemeral schema.

Load both into PostGIS, join on the configured keys (compared as text, so an integer code
matches the same code stored as a string), read the result back with WKB geometries.
"""

from dataclasses import dataclass
from pathlib import Path

from spatial_manifest import JoinConfig
from spatial_platform import PostGISResource
from spatial_platform.gdal_resource import GEOMETRY_COLUMN
from spatial_platform.geoparquet import write_geoparquet

_JOIN_SQL = {"left": "LEFT JOIN", "inner": "JOIN", "right": "RIGHT JOIN", "outer": "FULL JOIN"}


class JoinInputError(ValueError):
    """The join's configuration does not fit the assets it names."""


@dataclass(frozen=True)
class JoinResult:
    path: Path
    row_count: int
    matched_count: int
    bounds: tuple[float, float, float, float] | None
    geometry_types: list[str]
    columns: list[str]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def join_in_postgis(
    postgis: PostGISResource,
    run_id: str,
    spatial_path: Path,
    tabular_path: Path,
    config: JoinConfig,
    destination: Path,
) -> JoinResult:
    import pyarrow.parquet as pq

    spatial = pq.read_table(spatial_path)
    tabular = pq.read_table(tabular_path)
    left_key, right_key = config.left_key, config.spatial_key
    if left_key not in tabular.column_names:
        raise JoinInputError(
            f"join_config.left_key {left_key!r} is not a column of the tabular asset "
            f"{config.tabular_asset_id!r}; its columns: {tabular.column_names}"
        )
    if right_key not in spatial.column_names:
        raise JoinInputError(
            f"join_config.right_key {right_key!r} is not a column of the spatial asset "
            f"{config.spatial_asset_id!r}; its columns: {spatial.column_names}"
        )
    if GEOMETRY_COLUMN not in spatial.column_names:
        raise JoinInputError(
            f"spatial asset {config.spatial_asset_id!r} has no {GEOMETRY_COLUMN!r} column"
        )
    taken = set(tabular.column_names)
    selected = [f"t.{_ident(c)}" for c in tabular.column_names]
    for column in spatial.column_names:
        if column in (GEOMETRY_COLUMN, right_key):
            continue
        alias = f"spatial_{column}" if column in taken else column
        taken.add(alias)
        selected.append(f"s.{_ident(column)} AS {_ident(alias)}")
    joined_sql = (
        f"CREATE TABLE joined AS SELECT {', '.join(selected)}, s.geom "  # noqa: S608 (quoted identifiers)
        f"FROM tabular_input t {_JOIN_SQL[config.how]} spatial_input s "
        f"ON t.{_ident(left_key)}::text = s.{_ident(right_key)}::text"
    )
    with postgis.ephemeral_schema(run_id) as schema:
        postgis.load_arrow(schema, "spatial_input", spatial, geometry_column=GEOMETRY_COLUMN)
        postgis.load_arrow(schema, "tabular_input", tabular)
        postgis.execute_sql(joined_sql, schema)
        columns = [
            name
            for (name,) in postgis.execute_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                ":schema AND table_name = 'joined' AND column_name <> 'geom' "
                "ORDER BY ordinal_position",
                params={"schema": schema},
            )
        ]
        result = postgis.query_arrow(
            f"SELECT {', '.join(_ident(c) for c in columns)}, "  # noqa: S608 (quoted identifiers)
            f"ST_AsBinary(geom) AS {GEOMETRY_COLUMN} FROM joined",
            schema,
        )
        ((matched,),) = postgis.execute_sql("SELECT count(geom) FROM joined", schema)
    writer = write_geoparquet(result, destination, GEOMETRY_COLUMN)
    bbox = writer.bbox
    return JoinResult(
        path=destination,
        row_count=result.num_rows,
        matched_count=int(matched),
        bounds=None if bbox is None else (bbox[0], bbox[1], bbox[2], bbox[3]),
        geometry_types=sorted(writer.geometry_types),
        columns=columns,
    )
