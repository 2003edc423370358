"""Pins what the location relies on in Dagster's internals (``reports.dagster_internals``):
an upgrade that changes any of it fails here, not in production."""

import dagster as dg

from reports import dagster_internals as internals
from reports.testing import launch


def test_an_instance_value_is_stored_replaced_and_read_back() -> None:
    instance = dg.DagsterInstance.ephemeral()
    assert internals.read_instance_value(instance, "reports/test") is None
    internals.write_instance_value(instance, "reports/test", "one")
    internals.write_instance_value(instance, "reports/test", "two")
    assert internals.read_instance_value(instance, "reports/test") == "two"


def test_the_partitions_of_runs_carrying_tag_values_are_found() -> None:
    instance = dg.DagsterInstance.ephemeral()
    requests = [
        dg.RunRequest(run_key=f"{report}:T", partition_key=str(report)) for report in (1, 2, 3)
    ]
    launch(instance, requests)
    found = internals.partitions_of_runs_tagged(instance, "dagster/run_key", ["1:T", "3:T", "9:T"])
    assert sorted(found) == ["1", "3"]


def test_a_renamed_job_keeps_its_graph_under_its_own_name_description_and_tags() -> None:
    @dg.op
    def step() -> None: ...

    @dg.job(tags={"team": "reports"})
    def shared() -> None:
        step()

    renamed = internals.renamed_job(shared, "process_report_7", "report 7", {"reports/id": "7"})
    assert (renamed.name, renamed.description) == ("process_report_7", "report 7")
    assert renamed.tags == {"reports/id": "7"}
    assert renamed.graph is shared.graph and shared.name == "shared"
    assert renamed.execute_in_process().success


def test_an_instance_has_a_defs_state_storage_under_its_home() -> None:
    with dg.instance_for_test() as instance:
        storage = internals.defs_state_storage(instance)
        assert storage is not None
        assert str(instance.root_directory) in str(getattr(storage, "base_path", ""))
