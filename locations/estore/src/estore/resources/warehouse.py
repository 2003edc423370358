"""The local warehouse: a DuckDB file standing in for BigQuery's ``estore_raw`` dataset."""

from pathlib import Path

import dagster as dg
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from estore.csv_load import EVENT_COLUMNS, LoadResult, load_csv


def _locked(exc: BaseException) -> bool:
    return "lock" in str(exc).lower() and type(exc).__name__ == "IOException"


class DuckDBWarehouse(dg.ConfigurableResource):
    """Appends landed CSV files to tables in one DuckDB database file.

    DuckDB lets one process write a file at a time, so a load waits (with backoff, up to
    ``lock_timeout_seconds``) while another run or a dbt build holds it.
    """

    database: str
    memory_limit: str = "1GB"
    threads: int = 2
    lock_timeout_seconds: float = 300.0

    def connect(self):
        import duckdb

        @retry(
            retry=retry_if_exception(_locked),
            wait=wait_exponential(multiplier=0.5, max=15),
            stop=stop_after_delay(self.lock_timeout_seconds),
            reraise=True,
        )
        def open_database() -> duckdb.DuckDBPyConnection:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(
                self.database,
                config={"memory_limit": self.memory_limit, "threads": self.threads},
            )

        return open_database()

    def load_csv(
        self, path: Path, source_uri: str, generation: str, table: str, run_id: str | None
    ) -> LoadResult:
        with self.connect() as con:
            return load_csv(con, path, source_uri, generation, table, run_id, EVENT_COLUMNS)
