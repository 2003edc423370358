"""Analysts register table loads in YAML: `dg scaffold defs` writes one, `dg check` vets it."""

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from dataloader.components.table_load import TableLoad
from platform_testing.dg_project import copy_project, run_dg

PROJECT = Path(__file__).resolve().parents[1]
VALID: dict[str, object] = {
    "control_key": "crm.public.orders",
    "db_type": "postgres",
    "db_config_value": {"host": "db", "port": 5432, "database": "crm"},
    "db_kv_scope": "crm-db",
    "source_schema_name": "public",
    "source_table_name": "orders",
    "destination_catalog": "bronze",
    "destination_schema_name": "crm",
    "destination_table_name": "orders",
    "load_strategy": "incremental",
    "incremental_column": "updated_at",
    "cron_schedule": "*/15 * * * *",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"load_strategy": "sometimes"}, "load_strategy"),
        ({"incremental_column": None}, "load_strategy 'incremental' needs incremental_column"),
        ({"cron_schedule": "hourly"}, "'hourly' is not a cron expression"),
        ({"db_type": "oracle9"}, "db_type"),
        ({"destination_table_name": "../etc"}, "'../etc' is not an identifier"),
        (
            {"db_config_value": {"host": "db", "database": "crm", "password": "hunter2"}},
            "db_config_value must not hold password",
        ),
        ({"db_config_value": {"host": "db"}}, "db_config_value is missing database"),
    ],
)
def test_bad_entries_are_rejected_with_the_reason(change: dict, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TableLoad.model_validate({**VALID, **change})
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_valid_entry_becomes_a_registration() -> None:
    registration = TableLoad.model_validate(VALID).registration()
    assert registration.control_key == "crm.public.orders"
    assert registration.db_kv_scope == "crm-db" and registration.incremental_column == "updated_at"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    return copy_project(PROJECT, tmp_path)


@pytest.mark.slow
def test_scaffold_writes_an_entry_that_dg_check_accepts(project_copy: Path) -> None:
    scaffolded = run_dg(
        project_copy, "scaffold", "defs", "dataloader.components.TableLoad", "tables/invoices"
    )
    assert scaffolded.returncode == 0, scaffolded.stderr
    written = project_copy / "src/dataloader/defs/tables/invoices/defs.yaml"
    document = yaml.safe_load(written.read_text())
    assert document["type"] == "dataloader.components.TableLoad"
    assert document["attributes"]["source_table_name"] == "invoices"
    checked = run_dg(project_copy, "check", "defs")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.slow
def test_dg_check_defs_rejects_a_bad_entry(project_copy: Path) -> None:
    bad = project_copy / "src/dataloader/defs/tables/bad/defs.yaml"
    bad.parent.mkdir(parents=True)
    attributes = {**VALID, "incremental_column": None}
    bad.write_text(
        yaml.safe_dump({"type": "dataloader.components.TableLoad", "attributes": attributes})
    )
    checked = run_dg(project_copy, "check", "defs")
    output = checked.stdout + checked.stderr
    assert checked.returncode != 0
    assert "tables/bad" in output
    assert "load_strategy 'incremental' needs incremental_column" in output
