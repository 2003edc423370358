"""The estore location loads from its defs/ folder (its features come with their own issue)."""

import dagster as dg

from estore.definitions import defs


def test_definitions_load_from_the_defs_folder() -> None:
    definitions = defs()
    assert isinstance(definitions, dg.Definitions)
    repository = definitions.get_repository_def()
    assert repository.assets_defs_by_key == {}
    assert list(repository.sensor_defs) == []
    assert list(repository.schedule_defs) == []
