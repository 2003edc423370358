import psycopg

from lakebase import apply_migrations
from lakebase.migrate import available_migrations, main


def test_migrations_apply_once_and_create_the_control_tables(postgres_dsn: str) -> None:
    versions = [v for v, _ in available_migrations()]
    assert apply_migrations(postgres_dsn) == versions
    assert apply_migrations(postgres_dsn) == []
    with psycopg.connect(postgres_dsn) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert {"table_control", "historical_metadata", "schema_migrations"} <= tables


def test_command_line_reports_what_it_applied(postgres_dsn: str, capsys) -> None:
    assert main([postgres_dsn]) == 0
    assert (
        "applied 3 migration(s): 0001_control_tables, 0002_registration_sync, "
        "0003_fencing_and_constraints" in capsys.readouterr().out
    )
    main([postgres_dsn])
    assert "none pending" in capsys.readouterr().out
