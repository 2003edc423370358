import pytest

from platform_config import Environment, current_environment


def test_unset_or_empty_means_local() -> None:
    assert current_environment({}) is Environment.LOCAL
    assert current_environment({"DAGSTER_ENVIRONMENT": "  "}) is Environment.LOCAL
    assert current_environment({}).is_local


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("prod", Environment.PROD), ("NPD", Environment.NPD), ("branch", Environment.NPD)],
)
def test_known_values_and_aliases(raw: str, expected: Environment) -> None:
    assert current_environment({"DAGSTER_ENVIRONMENT": raw}) is expected
    assert not expected.is_local


def test_unknown_value_names_the_variable_and_the_choices() -> None:
    with pytest.raises(ValueError, match=r"DAGSTER_ENVIRONMENT='staging'.*local, npd, prod"):
        current_environment({"DAGSTER_ENVIRONMENT": "staging"})
