"""A secret field takes an environment variable's name; a literal is refused before a run exists."""

import dagster as dg
import pytest
from pydantic import ValidationError

from platform_config.env_secret import (
    ResourceWithSecrets,
    Secret,
    SecretNotSet,
    read_secret,
)
from platform_testing.launchpad import RECORDING_LAUNCHER, launch_from_launchpad, stored_run_text

PASTED = "pasted-secret-7f3a"


class ApiResource(ResourceWithSecrets):
    base_url: str = "https://api.example"
    api_key: Secret | None = None

    def key(self) -> str | None:
        return read_secret(self.api_key)


@dg.asset
def fetched(context: dg.AssetExecutionContext, api: ApiResource) -> str:
    context.log.info(f"key length {len(api.key() or '')}")
    return api.base_url


defs = dg.Definitions(
    assets=[fetched],
    jobs=[dg.define_asset_job("fetch", [fetched])],
    resources={"api": ApiResource(api_key=dg.EnvVar("DEMO_API_KEY"))},
)


def test_a_literal_in_launchpad_run_config_is_refused_before_a_run_exists() -> None:
    with dg.instance_for_test(overrides=RECORDING_LAUNCHER) as instance:
        outcome = launch_from_launchpad(
            instance,
            "fetch",
            {"resources": {"api": {"config": {"api_key": PASTED}}}},
            python_file=__file__,
            attribute="defs",
        )
        assert outcome.kind == "RunConfigValidationInvalid"
        assert any("root:resources:api:config:api_key" in m for m in outcome.messages)
        assert all(PASTED not in m for m in outcome.messages)
        assert instance.get_runs() == []


def test_a_variable_name_in_run_config_launches_and_only_the_name_is_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTHER_API_KEY", PASTED)
    with dg.instance_for_test(overrides=RECORDING_LAUNCHER) as instance:
        outcome = launch_from_launchpad(
            instance,
            "fetch",
            {"resources": {"api": {"config": {"api_key": {"env": "OTHER_API_KEY"}}}}},
            python_file=__file__,
            attribute="defs",
        )
        assert outcome.kind == "LaunchRunSuccess", outcome.messages
        stored = stored_run_text(instance)
        assert "OTHER_API_KEY" in stored and PASTED not in stored


def test_the_value_is_read_from_the_environment_when_the_run_uses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_API_KEY", PASTED)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("fetch").execute_in_process(instance=instance)
        assert result.success
        [run] = instance.get_runs()
        stored = stored_run_text(instance)
        assert "DEMO_API_KEY" in stored and PASTED not in stored
        logs = "\n".join(str(e.message) for e in instance.all_logs(run.run_id))
        assert f"key length {len(PASTED)}" in logs and PASTED not in logs


def test_whoever_builds_the_resource_passes_a_reference_not_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("X_KEY", PASTED)
    assert ApiResource(api_key={"env": "X_KEY"}).key() == PASTED  # type: ignore[arg-type]
    assert ApiResource(api_key=dg.EnvVar("X_KEY")).key() == PASTED
    with pytest.raises(ValidationError, match=r"dg\.EnvVar") as raised:
        ApiResource(api_key=PASTED)  # type: ignore[arg-type]
    assert PASTED not in str(raised.value)
    with pytest.raises(ValidationError, match="name of an environment variable") as raised:
        ApiResource(api_key={"env": "not a name, " + PASTED})  # type: ignore[arg-type]
    assert PASTED not in str(raised.value)


def test_an_unset_variable_is_named_when_the_secret_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEMO_API_KEY", raising=False)
    with pytest.raises(SecretNotSet, match="DEMO_API_KEY is not set"):
        ApiResource(api_key=dg.EnvVar("DEMO_API_KEY")).key()
    assert ApiResource().key() is None


# A token that is also a legal (if unconventional) variable name: mixed case, digits, _.
TOKEN_AS_NAME = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


def test_a_token_pasted_into_env_is_refused_without_being_echoed() -> None:
    with pytest.raises(ValidationError, match="upper-case") as raised:
        ApiResource(api_key={"env": TOKEN_AS_NAME})  # type: ignore[arg-type]
    assert TOKEN_AS_NAME not in str(raised.value)


def test_a_run_given_a_token_in_env_fails_before_reading_it_and_never_logs_it() -> None:
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("fetch").execute_in_process(
            instance=instance,
            run_config={"resources": {"api": {"config": {"api_key": {"env": TOKEN_AS_NAME}}}}},
            raise_on_error=False,
        )
        assert not result.success
        [run] = instance.get_runs()
        events = "\n".join(
            f"{e.message} {e.dagster_event.event_specific_data if e.dagster_event else ''}"
            for e in instance.all_logs(run.run_id)
        )
        assert "not the secret itself" in events
        assert TOKEN_AS_NAME not in events
