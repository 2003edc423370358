from urllib.parse import urlparse

from table_loader import LoadRequest


def request_for(dsn: str, table: str, uri: str, **overrides: object) -> LoadRequest:
    url = urlparse(dsn)
    fields: dict[str, object] = {
        "control_key": f"test.{table}",
        "db_type": "postgres",
        "db_config": {
            "host": url.hostname,
            "port": url.port,
            "database": url.path.lstrip("/"),
            "user": url.username,
        },
        "source_schema": "public",
        "source_table": table,
        "destination_uri": uri,
        "load_strategy": "full",
    }
    return LoadRequest(**{**fields, **overrides})  # type: ignore[arg-type]
