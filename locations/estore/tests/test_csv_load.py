"""Loading one CSV into DuckDB: typed, atomic, idempotent, and clear about bad input."""

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from estore.csv_load import BadInputError, load_csv
from estore.sample_data import write_events_csv

HEADER = (
    "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
)
ROW = "2019-10-01 00:00:0{n} UTC,view,1004,2053013555631882655,electronics.smartphone,apple,{price},512000001,s-{n}\n"


def rows(*prices: str) -> str:
    return "".join(ROW.format(n=n, price=price) for n, price in enumerate(prices))


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        yield con


def count(con: duckdb.DuckDBPyConnection) -> int:
    result = con.execute("SELECT count(*) FROM estore_raw.events").fetchone()
    return int(result[0]) if result else -1


def test_a_file_is_appended_with_typed_columns_and_recorded_in_the_ledger(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_events_csv(tmp_path / "2019-10-01.csv", 50)

    result = load_csv(con, path, "gs://b/events/2019-10-01.csv", "11", "estore_raw.events", "run-1")

    assert (result.rows, result.already_loaded) == (50, False)
    first = con.execute(
        "SELECT event_time, product_id, price FROM estore_raw.events ORDER BY event_time LIMIT 1"
    ).fetchone()
    assert first is not None and first[0] == datetime(2019, 10, 1)
    assert isinstance(first[1], int) and isinstance(first[2], float)
    ledger = con.execute(
        "SELECT source_uri, generation, row_count, run_id FROM estore_raw._load_ledger"
    )
    assert ledger.fetchall() == [("gs://b/events/2019-10-01.csv", "11", 50, "run-1")]


def test_the_same_file_generation_is_never_appended_twice(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_events_csv(tmp_path / "a.csv", 20)
    load_csv(con, path, "gs://b/a.csv", "1", "estore_raw.events")

    again = load_csv(con, path, "gs://b/a.csv", "1", "estore_raw.events")
    rewritten = load_csv(con, path, "gs://b/a.csv", "2", "estore_raw.events")

    assert (again.already_loaded, again.rows) == (True, 20)
    assert rewritten.already_loaded is False
    assert count(con) == 40


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "gs://b/bad.csv: the file is empty"),
        (HEADER, "gs://b/bad.csv: the file has a header line but no data rows"),
        (
            HEADER.replace(",brand", "") + rows("1.0"),
            "gs://b/bad.csv: line 1 (header): missing columns ['brand']",
        ),
        (
            HEADER.replace("price", "cost") + rows("1.0"),
            "missing columns ['price']; unexpected columns ['cost']",
        ),
        (
            HEADER + rows("1.0", "2.0", "abc"),
            "gs://b/bad.csv: line 4: Original Line:",
        ),
        (
            HEADER + rows("1.0") + "2019-10-01 00:00:09 UTC,view,1\n",
            "gs://b/bad.csv: line 3: Original Line: 2019-10-01 00:00:09 UTC,view,1; "
            "Expected Number of Columns: 9 Found: 3",
        ),
        (
            HEADER + rows("1.0").replace("2019-10-01 00:00:00 UTC", "yesterday"),
            "line 2: Original Line: yesterday,view",
        ),
    ],
    ids=[
        "empty",
        "header-only",
        "missing-column",
        "renamed-column",
        "bad-number",
        "short-row",
        "bad-time",
    ],
)
def test_bad_input_is_refused_whole_with_file_and_line(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, content: str, message: str
) -> None:
    good = write_events_csv(tmp_path / "good.csv", 10)
    load_csv(con, good, "gs://b/good.csv", "1", "estore_raw.events")
    bad = tmp_path / "bad.csv"
    bad.write_text(content)

    with pytest.raises(BadInputError) as error:
        load_csv(con, bad, "gs://b/bad.csv", "1", "estore_raw.events")

    assert message in str(error.value)
    assert count(con) == 10  # nothing of the bad file, the earlier file untouched
    ledger = con.execute("SELECT count(*) FROM estore_raw._load_ledger").fetchone()
    assert ledger == (1,)


def test_a_type_error_names_the_column(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + rows("1.0", "abc"))

    with pytest.raises(BadInputError, match=r'line 3: .*converting column "price"'):
        load_csv(con, bad, "gs://b/bad.csv", "1", "estore_raw.events")


def test_a_destination_that_is_not_schema_dot_table_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"must be schema\.table"):
        load_csv(con, tmp_path / "x.csv", "gs://b/x.csv", "1", "events; DROP TABLE x")


def test_sample_data_is_deterministic(tmp_path: Path) -> None:
    first = write_events_csv(tmp_path / "a.csv", 200, seed=3).read_bytes()
    second = write_events_csv(tmp_path / "b.csv", 200, seed=3).read_bytes()
    other = write_events_csv(tmp_path / "c.csv", 200, seed=4).read_bytes()

    assert first == second != other
    assert first.count(b"\n") == 201


def test_rows_are_inserted_by_column_name_after_the_raw_table_gains_a_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = write_events_csv(tmp_path / "a.csv", 5)
    load_csv(con, first, "gs://b/a.csv", "1", "estore_raw.events")
    # The documented full-refresh flow: the raw table gains a column the files do not have.
    con.execute("ALTER TABLE estore_raw.events ADD COLUMN loyalty_tier VARCHAR")
    second = write_events_csv(tmp_path / "b.csv", 7)

    result = load_csv(con, second, "gs://b/b.csv", "1", "estore_raw.events")

    assert (result.rows, count(con)) == (7, 12)
    assert con.execute(
        "SELECT count(*) FROM estore_raw.events WHERE loyalty_tier IS NOT NULL"
    ).fetchone() == (0,)


def test_a_raw_column_the_file_cannot_fill_is_refused_with_the_file_named(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = write_events_csv(tmp_path / "a.csv", 5)
    load_csv(con, first, "gs://b/a.csv", "1", "estore_raw.events")
    con.execute("ALTER TABLE estore_raw.events ADD COLUMN tier VARCHAR NOT NULL DEFAULT 'x'")
    con.execute("ALTER TABLE estore_raw.events ALTER COLUMN tier DROP DEFAULT")

    with pytest.raises(BadInputError, match=r"^gs://b/b\.csv: .*tier"):
        load_csv(
            con, write_events_csv(tmp_path / "b.csv", 3), "gs://b/b.csv", "1", "estore_raw.events"
        )
    assert count(con) == 5


def test_each_row_records_when_its_file_was_loaded(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_csv(con, write_events_csv(tmp_path / "a.csv", 3), "gs://b/a.csv", "1", "estore_raw.events")
    load_csv(con, write_events_csv(tmp_path / "b.csv", 2), "gs://b/b.csv", "1", "estore_raw.events")

    loads = con.execute(
        "SELECT _loaded_at, count(*) FROM estore_raw.events GROUP BY 1 ORDER BY 1"
    ).fetchall()
    ledger = con.execute("SELECT loaded_at FROM estore_raw._load_ledger ORDER BY 1").fetchall()
    assert [rows for _, rows in loads] == [3, 2]
    assert [at for at, _ in loads] == [at for (at,) in ledger]


def test_a_latin1_file_is_refused_with_the_file_and_line_named(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    bad = tmp_path / "latin1.csv"
    first, second = rows("1.0", "2.0").splitlines(keepends=True)
    bad.write_bytes((HEADER + first + second.replace("apple", "caf\xe9")).encode("latin-1"))

    with pytest.raises(BadInputError, match=r"^gs://b/latin1\.csv: line 3: .*not utf-8 encoded"):
        load_csv(con, bad, "gs://b/latin1.csv", "1", "estore_raw.events")


def test_a_latin1_header_is_refused_with_the_file_named(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(("\xe9" + HEADER + rows("1.0")).encode("latin-1"))

    with pytest.raises(BadInputError, match=r"^gs://b/latin1\.csv: line 1 \(header\): .*UTF-8"):
        load_csv(con, bad, "gs://b/latin1.csv", "1", "estore_raw.events")
