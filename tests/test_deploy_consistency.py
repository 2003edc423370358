"""Every place that names the locations names the same ones as dg.toml.

Adding a location to dg.toml (or removing one) without the compose stack, the production
workspace, the run queue limits, the Helm values and the systemd units fails here, naming
the place that was missed.
"""

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import ROOT, workspace_projects

DEPLOY = ROOT / "deploy"
HELM = DEPLOY / "helm"
SYSTEMD = DEPLOY / "systemd"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _compose_images() -> list[str]:
    services = _yaml(DEPLOY / "docker-compose.yaml")["services"]
    return [
        service["build"]["args"]["LOCATION"]
        for service in services.values()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    ]


def _workspace(path: Path, kind: str) -> list[str]:
    return [entry[kind]["location_name"] for entry in _yaml(path)["load_from"]]


def _queue_limits(limits: list[dict]) -> list[str]:
    return [limit["value"] for limit in limits if limit["key"] == "dagster/code_location"]


def _instance_queue() -> list[str]:
    config = _yaml(DEPLOY / "dagster.yaml")["run_coordinator"]["config"]
    return _queue_limits(config["tag_concurrency_limits"])


def _helm_queue() -> list[str]:
    daemon = _yaml(HELM / "dagster.values.yaml")["dagsterDaemon"]
    return _queue_limits(
        daemon["runCoordinator"]["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    )


def _helm_webserver_workspace() -> list[str]:
    servers = _yaml(HELM / "dagster.values.yaml")["dagsterWebserver"]["workspace"]["servers"]
    return [server["name"] for server in servers]


def _helm_releases() -> list[str]:
    return [path.name.removesuffix(".values.yaml") for path in HELM.glob("locations/*.values.yaml")]


def _helm_code_servers() -> list[str]:
    modules = []
    for path in HELM.glob("locations/*.values.yaml"):
        for deployment in _yaml(path)["deployments"]:
            args = deployment["codeServerArgs"]
            modules.append(args[args.index("-m") + 1].removesuffix(".definitions"))
    return modules


def _systemd_wants(unit: str) -> list[str]:
    text = (SYSTEMD / unit).read_text()
    return re.findall(r"dagster-code-server@(\w+)\.service", text.split("[Service]")[0])


PLACES: dict[str, Callable[[], list[str]]] = {
    "locations/ folders": lambda: [p.name for p in (ROOT / "locations").iterdir() if p.is_dir()],
    "workspace.yaml": lambda: _workspace(ROOT / "workspace.yaml", "python_module"),
    "deploy/docker-compose.yaml images": _compose_images,
    "deploy/workspace.yaml": lambda: _workspace(DEPLOY / "workspace.yaml", "grpc_server"),
    "deploy/dagster.yaml run queue": _instance_queue,
    "deploy/helm/dagster.values.yaml workspace": _helm_webserver_workspace,
    "deploy/helm/dagster.values.yaml run queue": _helm_queue,
    "deploy/helm/locations/*.values.yaml releases": _helm_releases,
    "deploy/helm/locations/*.values.yaml code servers": _helm_code_servers,
    "deploy/systemd/workspace.yaml": lambda: _workspace(SYSTEMD / "workspace.yaml", "grpc_server"),
    "deploy/systemd/dagster-code-servers.target": lambda: _systemd_wants(
        "dagster-code-servers.target"
    ),
    "deploy/systemd/dagster.service": lambda: _systemd_wants("dagster.service"),
}


@pytest.mark.parametrize("place", PLACES)
def test_place_names_the_locations_of_dg_toml(place: str) -> None:
    expected = sorted(p.name for p in workspace_projects())
    named = PLACES[place]()
    assert len(named) == len(set(named)), f"{place} names a location twice: {named}"
    assert sorted(named) == expected, (
        f"{place} names {sorted(named)}; dg.toml lists {expected}. "
        "Every place that names locations is listed in docs/deploy.md."
    )


def test_compose_hosts_match_the_production_workspace() -> None:
    services = _yaml(DEPLOY / "docker-compose.yaml")["services"]
    hosts = {
        service["build"]["args"]["LOCATION"]: name
        for name, service in services.items()
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile"
    }
    for entry in _yaml(DEPLOY / "workspace.yaml")["load_from"]:
        server = entry["grpc_server"]
        assert hosts[server["location_name"]] == server["host"]
        assert server["port"] == 4000


def test_helm_webserver_reaches_each_release_by_its_service_name() -> None:
    # The dagster-user-deployments chart names each deployment's Service after it.
    deployments = {}
    for path in HELM.glob("locations/*.values.yaml"):
        (deployment,) = _yaml(path)["deployments"]  # one location per release
        deployments[path.name.removesuffix(".values.yaml")] = deployment
    servers = _yaml(HELM / "dagster.values.yaml")["dagsterWebserver"]["workspace"]["servers"]
    for server in servers:
        deployment = deployments[server["name"]]
        assert (server["host"], server["port"]) == (deployment["name"], deployment["port"])


def test_helm_location_releases_are_complete_and_keep_secrets_out() -> None:
    for path in HELM.glob("locations/*.values.yaml"):
        (deployment,) = _yaml(path)["deployments"]
        assert deployment["image"]["repository"].endswith(deployment["name"]), path.name
        assert deployment["envSecrets"] == [{"name": f"{deployment['name']}-env"}], path.name
        assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True, path.name
        assert {"requests", "limits"} <= set(deployment["resources"]), path.name
        for probe in ("startupProbe", "livenessProbe"):
            command = deployment[probe]["exec"]["command"]
            assert command[:3] == ["dagster", "api", "grpc-health-check"], (path.name, probe)
            assert command[-1] == str(deployment["port"]), (path.name, probe)
        # The chart writes the readiness exec itself, and copies a given probe verbatim
        # (with its `enabled` key, which Kubernetes rejects in a Probe).
        readiness = deployment["readinessProbe"]
        assert readiness["enabled"] is True and "exec" not in readiness, path.name
        names = {env["name"] for env in deployment.get("env", [])}
        assert not {n for n in names if re.search("PASSWORD|TOKEN|SECRET|KEY", n)}, path.name


def test_helm_instance_matches_the_compose_and_vm_instance() -> None:
    values = _yaml(HELM / "dagster.values.yaml")
    instance = _yaml(DEPLOY / "dagster.yaml")
    queue = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]
    assert (
        queue["tagConcurrencyLimits"]
        == instance["run_coordinator"]["config"]["tag_concurrency_limits"]
    )
    assert (
        queue["maxConcurrentRuns"] == instance["run_coordinator"]["config"]["max_concurrent_runs"]
    )
    monitoring = values["dagsterDaemon"]["runMonitoring"]
    assert monitoring["enabled"] is instance["run_monitoring"]["enabled"] is True
    assert monitoring["startTimeoutSeconds"] == instance["run_monitoring"]["start_timeout_seconds"]
    assert (
        monitoring["cancelTimeoutSeconds"] == instance["run_monitoring"]["cancel_timeout_seconds"]
    )
    assert values["retention"]["enabled"] is True
    for kind in ("schedule", "sensor"):
        assert (
            values["retention"][kind]["purgeAfterDays"]
            == instance["retention"][kind]["purge_after_days"]
        )
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["telemetry"]["enabled"] is instance["telemetry"]["enabled"] is False


def test_helm_webserver_is_not_exposed_publicly() -> None:
    values = _yaml(HELM / "dagster.values.yaml")
    assert values["dagsterWebserver"]["service"]["type"] == "ClusterIP"
    assert values["ingress"]["enabled"] is False
    assert values["dagster-user-deployments"] == {"enabled": True, "enableSubchart": False}


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _user_deployments_validator() -> Draft202012Validator:
    """The dagster-user-deployments chart's own values schema (deploy/helm/schema/, from the
    chart's source). The Kubernetes object shapes it points at online are accepted as they
    are (not checked offline); the keys the chart's defaults provide are not required of a
    release's values."""
    schema = json.loads(
        (HELM / "schema" / "dagster-user-deployments.values.schema.json").read_text()
    )
    documents: dict[str, dict] = {}
    for ref in _refs(schema):
        uri, _, pointer = ref.partition("#")
        if uri:  # an online Kubernetes definition: an empty (permissive) schema at its pointer
            node = documents.setdefault(uri, {})
            for part in pointer.strip("/").split("/"):
                node = node.setdefault(part, {})
    registry: Registry = Registry().with_resources(
        (uri, Resource.from_contents(document, default_specification=DRAFT202012))
        for uri, document in documents.items()
    )
    return Draft202012Validator({**schema, "required": ["deployments"]}, registry=registry)


@pytest.mark.parametrize("location", [p.name for p in workspace_projects()])
def test_helm_location_values_validate_against_the_chart_schema(location: str) -> None:
    values = _yaml(HELM / "locations" / f"{location}.values.yaml")
    errors = [e.message for e in _user_deployments_validator().iter_errors(values)]
    assert not errors, errors


def test_the_chart_schema_rejects_what_the_chart_would() -> None:
    (deployment,) = _yaml(HELM / "locations" / "estore.values.yaml")["deployments"]
    broken = {
        **deployment,
        "image": {**deployment["image"], "pullPolicy": "Sometimes"},
        "readinessProbe": {"periodSeconds": 20},  # the chart needs readinessProbe.enabled
    }
    del broken["port"]
    errors = {
        e.message for e in _user_deployments_validator().iter_errors({"deployments": [broken]})
    }
    assert "'port' is a required property" in errors
    assert "{'periodSeconds': 20} is not valid under any of the given schemas" in errors
    assert any("'Sometimes' is not one of" in e for e in errors)
