"""The workspace is four independent dg projects, listed the same way everywhere."""

import ast
import tomllib
from pathlib import Path

import yaml

from tests.conftest import ROOT, workspace_projects

# dg.toml is the list of locations; tests/test_deploy_consistency.py checks every other place
# that names them.
LOCATIONS = [p.name for p in workspace_projects()]


def test_dg_toml_lists_every_location_folder_once() -> None:
    assert len(LOCATIONS) == len(set(LOCATIONS))
    assert sorted(p.name for p in (ROOT / "locations").iterdir() if p.is_dir()) == sorted(LOCATIONS)


def test_workspace_yaml_matches_dg_toml() -> None:
    entries = yaml.safe_load((ROOT / "workspace.yaml").read_text())["load_from"]
    modules = {e["python_module"]["location_name"]: e["python_module"] for e in entries}
    assert list(modules) == LOCATIONS
    for name, entry in modules.items():
        assert entry["module_name"] == f"{name}.definitions"
        assert (ROOT / entry["working_directory"]) == ROOT / "locations" / name / "src"


def test_each_project_is_a_dg_project_with_its_own_components() -> None:
    for project in workspace_projects():
        config = tomllib.loads((project / "pyproject.toml").read_text())
        dg_project = config["tool"]["dg"]["project"]
        assert config["tool"]["dg"]["directory_type"] == "project"
        assert dg_project["root_module"] == project.name
        assert dg_project["registry_modules"] == [f"{project.name}.components.*"]
        assert (project / "src" / project.name / "definitions.py").is_file()
        assert (project / "src" / project.name / "defs").is_dir()
        assert (project / "tests").is_dir()


def _imported_roots(source: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_locations_never_depend_on_each_other() -> None:
    for project in workspace_projects():
        others = set(LOCATIONS) - {project.name}
        deps = tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
        dep_names = {d.split("[")[0].split("=")[0].split(">")[0].split("<")[0] for d in deps}
        assert not dep_names & {o.replace("_", "-") for o in others}, project.name
        sources = [*(project / "src").rglob("*.py"), *(project / "tests").rglob("*.py")]
        for source in sources:  # not the location's .venv
            assert not _imported_roots(source) & others, f"{source} imports another location"


def test_local_dagster_home_is_ignored_sqlite_without_telemetry() -> None:
    config = yaml.safe_load((ROOT / ".dagster" / "dagster.yaml").read_text())
    assert config["telemetry"]["enabled"] is False
    assert "storage" not in config  # the default: SQLite under DAGSTER_HOME
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".dagster/*" in ignored
