from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable

from table_loader import LoadError, describe_delta_table, run_load
from table_loader.postgres_source import connect, open_batches, source_schema

TYPES = """
CREATE TABLE typed (
    id int8 PRIMARY KEY, small int2, medium int4, ratio float8, price numeric(10, 2),
    flag bool, day date, seen timestamp, changed timestamptz, label text, tag uuid,
    doc jsonb, note varchar(20)
);
INSERT INTO typed VALUES
  (1, 1, 10, 0.5, 12.34, true, '2026-01-02', '2026-01-02 03:04:05',
   '2026-01-02 03:04:05+02', 'a,"quoted"
line', '7d9f2c3e-1111-4a8e-9a61-0d3a5b2f6e01', '{"k": [1, 2]}', ''),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""


def rows(uri: str) -> list[dict]:
    return DeltaTable(uri).to_pyarrow_table().sort_by("id").to_pylist()


def test_full_load_maps_every_type_and_keeps_null_apart_from_empty(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(TYPES)
    uri = str(tmp_path / "typed")
    result = run_load(request_for(postgres_dsn, "typed", uri))
    assert result.rows_loaded == 2 and result.watermark is None
    first, second = rows(uri)
    assert first["price"] == Decimal("12.34") and first["flag"] is True
    assert first["day"] == date(2026, 1, 2)
    assert first["seen"] == datetime(2026, 1, 2, 3, 4, 5)
    assert first["changed"] == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert first["label"] == 'a,"quoted"\nline' and first["note"] == ""
    assert first["tag"] == "7d9f2c3e-1111-4a8e-9a61-0d3a5b2f6e01"
    assert first["doc"] == '{"k": [1, 2]}'
    assert all(value is None for key, value in second.items() if key != "id")
    types = dict(result.columns)
    assert types["price"] == "decimal128(10, 2)" and types["changed"] == "timestamp[us, tz=UTC]"
    assert types["small"] == "int16" and types["label"] == "string"


def test_full_load_replaces_the_table(postgres_dsn: str, tmp_path: Path, request_for) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE t AS SELECT i AS id FROM generate_series(1, 5) i")
    uri = str(tmp_path / "t")
    run_load(request_for(postgres_dsn, "t", uri))
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("DELETE FROM t WHERE id > 2")
    assert run_load(request_for(postgres_dsn, "t", uri)).rows_loaded == 2
    assert [r["id"] for r in rows(uri)] == [1, 2]


def test_incremental_loads_append_only_new_rows(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(
            "CREATE TABLE ev AS SELECT i::int8 AS id, i * 10 AS version FROM generate_series(1, 3) i"
        )
    uri = str(tmp_path / "ev")
    first = run_load(
        request_for(
            postgres_dsn, "ev", uri, load_strategy="incremental", incremental_column="version"
        )
    )
    assert (first.rows_loaded, first.watermark) == (3, "30")
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("INSERT INTO ev VALUES (4, 40), (5, 50), (0, 5)")
    second = run_load(
        request_for(
            postgres_dsn,
            "ev",
            uri,
            load_strategy="incremental",
            incremental_column="version",
            incremental_value=first.watermark,
        )
    )
    assert (second.rows_loaded, second.watermark) == (2, "50")
    third = run_load(
        request_for(
            postgres_dsn,
            "ev",
            uri,
            load_strategy="incremental",
            incremental_column="version",
            incremental_value=second.watermark,
        )
    )
    assert (third.rows_loaded, third.watermark) == (0, "50")
    assert [r["id"] for r in rows(uri)] == [1, 2, 3, 4, 5]


def test_large_tables_stream_in_many_batches(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(
            "CREATE TABLE big AS SELECT i::int8 AS id, md5(i::text) AS h,"
            " timestamptz '2026-01-01' + i * interval '1 second' AS at"
            " FROM generate_series(1, 250000) i"
        )
    uri = str(tmp_path / "big")
    result = run_load(
        request_for(
            postgres_dsn,
            "big",
            uri,
            load_strategy="incremental",
            incremental_column="at",
            batch_rows=10_000,
        )
    )
    assert result.rows_loaded == 250_000
    assert result.watermark == "2026-01-03T21:26:40+00:00"
    table = DeltaTable(uri).to_pyarrow_table()
    id_sum = pc.sum(table["id"]).as_py()  # pyright: ignore[reportAttributeAccessIssue]
    assert table.num_rows == 250_000 and id_sum == 250_000 * 250_001 // 2


def test_an_empty_table_still_creates_the_destination(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE empty (id int8, name text)")
    uri = str(tmp_path / "empty")
    assert run_load(request_for(postgres_dsn, "empty", uri)).rows_loaded == 0
    assert describe_delta_table(uri) == [("id", "int64"), ("name", "string")]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"db_type": "oracle9"}, "db_type 'oracle9' is not supported for local loads"),
        (
            {"db_config": {"host": "h", "port": 1, "user": "u"}},
            "db_config_value is missing 'database'",
        ),
        ({"db_config": "host=h"}, "db_config_value must be a JSON object"),
        (
            {"db_config": {"host": "h", "port": "x", "database": "d", "user": "u"}},
            "'port' must be a number",
        ),
        (
            {"load_strategy": "sometimes"},
            "load_strategy 'sometimes' is not one of full, incremental",
        ),
        ({"load_strategy": "incremental"}, "needs incremental_column"),
        ({"source_table": "missing"}, 'source table "public"."missing" does not exist'),
        (
            {"load_strategy": "incremental", "incremental_column": "nope"},
            "incremental_column 'nope' does not exist",
        ),
    ],
)
def test_bad_requests_raise_load_errors_naming_the_input(
    overrides: dict, message: str, postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE present (id int)")
    with pytest.raises(LoadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_load(request_for(postgres_dsn, "present", str(tmp_path / "d"), **overrides))


def test_hostile_names_are_quoted_never_executed(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE victim (id int)")
    hostile = 'victim"; DROP TABLE victim; --'
    with pytest.raises(LoadError, match="does not exist"):
        run_load(request_for(postgres_dsn, hostile, str(tmp_path / "d")))
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT to_regclass('public.victim')").fetchone() == ("victim",)


def test_connection_failures_name_the_server_not_the_password(tmp_path: Path, request_for) -> None:
    request = request_for("postgresql://u@127.0.0.1:1/db", "t", str(tmp_path / "d"))
    config = {**request.db_config, "password": "hunter2"}
    with pytest.raises(LoadError) as caught:
        run_load(request.__class__(**{**request.__dict__, "db_config": config}))
    assert "could not connect to the source 127.0.0.1:1/db" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_password_from_a_missing_variable_is_named(
    tmp_path: Path, monkeypatch, request_for
) -> None:
    monkeypatch.delenv("CRM_DB_PASSWORD", raising=False)
    request = request_for("postgresql://u@127.0.0.1:1/db", "t", str(tmp_path / "d"))
    config = {**request.db_config, "password_env": "CRM_DB_PASSWORD"}
    with pytest.raises(LoadError, match="the password variable CRM_DB_PASSWORD is not set"):
        run_load(request.__class__(**{**request.__dict__, "db_config": config}))


def test_describe_names_a_missing_table(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no Delta table at"):
        describe_delta_table(str(tmp_path / "nothing"))


def test_types_without_an_arrow_match_load_as_their_postgres_text(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(
            "CREATE TABLE other (id int8, tags int4[], wait interval, amount numeric,"
            " huge numeric(40, 2), at time);"
            "INSERT INTO other VALUES (1, '{1,2}', '1 day 02:00', 1.50, 12.34, '01:02:03')"
        )
    uri = str(tmp_path / "other")
    result = run_load(request_for(postgres_dsn, "other", uri))
    assert rows(uri) == [
        {
            "id": 1,
            "tags": "{1,2}",
            "wait": "1 day 02:00:00",
            "amount": "1.50",
            "huge": "12.34",
            "at": "01:02:03",
        }
    ]
    assert {name for name, kind in result.columns if kind == "string"} == {
        "tags",
        "wait",
        "amount",
        "huge",
        "at",
    }


def test_a_value_that_does_not_fit_its_column_type_fails_the_load_by_name(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    # numeric(10, 2) accepts NaN; an Arrow decimal cannot hold it.
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE prices AS SELECT 1 AS id, 'NaN'::numeric(10, 2) AS price")
    with pytest.raises(LoadError, match=r"public\.prices: a value does not fit its column type"):
        run_load(request_for(postgres_dsn, "prices", str(tmp_path / "prices")))


def test_batches_are_bounded_whatever_the_table_size(postgres_dsn: str, request_for) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(
            "CREATE TABLE wide AS SELECT i::int8 AS id, md5(i::text) AS h"
            " FROM generate_series(1, 200000) i"
        )
    request = request_for(postgres_dsn, "wide", "unused", batch_rows=10_000)
    with connect(request) as conn:
        schema = source_schema(conn, request)
        with open_batches(conn, request, schema) as batches:
            sizes = [batch.num_rows for batch in batches]
    assert sum(sizes) == 200_000
    # 10k rows of ~100 bytes ask for 1 MiB batches: ~20k rows of these 45-byte rows.
    assert len(sizes) >= 5 and max(sizes) <= 40_000, sizes


def test_incremental_loads_never_read_the_target_table(
    postgres_dsn: str, tmp_path: Path, request_for
) -> None:
    """The watermark comes with the request (the Lakebase row): the Delta table's data files
    are never opened, so their size does not matter to an incremental load."""
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE logs AS SELECT i::int8 AS id FROM generate_series(1, 10) i")
    uri = str(tmp_path / "logs")
    incremental = {"load_strategy": "incremental", "incremental_column": "id"}
    first = run_load(request_for(postgres_dsn, "logs", uri, **incremental))
    for data_file in Path(uri).glob("*.parquet"):
        data_file.unlink()  # any read of the existing rows would now fail
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("INSERT INTO logs SELECT generate_series(11, 15)")
    second = run_load(
        request_for(postgres_dsn, "logs", uri, incremental_value=first.watermark, **incremental)
    )
    assert (second.rows_loaded, second.watermark) == (5, "15")
    assert len(DeltaTable(uri).history()) == 2


def test_with_no_recorded_watermark_the_load_starts_from_the_targets_maximum(
    postgres_dsn: str, tmp_path: Path, request_for, caplog: pytest.LogCaptureFixture
) -> None:
    """A table registered (or whose watermark was cleared) with rows already in its target:
    the target is read once for its maximum, so those rows are not appended again."""
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE kept AS SELECT i::int8 AS id FROM generate_series(1, 10) i")
    uri = str(tmp_path / "kept")
    incremental = {"load_strategy": "incremental", "incremental_column": "id"}
    run_load(request_for(postgres_dsn, "kept", uri, **incremental))
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("INSERT INTO kept SELECT generate_series(11, 13)")
    with caplog.at_level("WARNING", logger="lakebase.watermark"):
        again = run_load(request_for(postgres_dsn, "kept", uri, **incremental))
    assert (again.rows_loaded, again.watermark) == (3, "13")
    assert sorted(row["id"] for row in rows(uri)) == list(range(1, 14))  # none twice
    assert [m.split(";")[0] for m in caplog.messages] == [
        "test.kept: no watermark recorded in table_control"
    ]


def test_a_refused_data_connection_names_the_server_not_the_password(
    postgres_dsn: str, request_for
) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE refused (id int)")
    request = request_for(postgres_dsn, "refused", "unused")
    refused = request.__class__(
        **{**request.__dict__, "db_config": {**request.db_config, "port": 1, "password": "p@ss!"}}
    )
    with connect(request) as conn:
        schema = source_schema(conn, request)
        with pytest.raises(LoadError) as caught, open_batches(conn, refused, schema):
            pass
    assert "could not connect to the source 127.0.0.1:1/" in str(caught.value)
    assert "p@ss!" not in str(caught.value) and "p%40ss%21" not in str(caught.value)
