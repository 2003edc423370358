"""Creating POSTs are safe to retry: the simulator applies a POST and loses its answer (503,
or no answer before the client's timeout); the client's retry leaves exactly one record,
whether the API honours the Idempotency-Key (the simulator by default) or ignores it (then
the client looks the record up by its natural key before posting again)."""

import datetime as dt
from collections.abc import Iterator

import pytest

from django_api import DjangoAPIClient
from report_simulators import DEFAULT_PASSWORD, DEFAULT_USERNAME, DjangoSimulator
from resilient_http import RetryPolicy

DAY = dt.date(2024, 3, 1)


@pytest.fixture(params=[True, False], ids=["keys-honoured", "keys-ignored"])
def simulator(
    request: pytest.FixtureRequest, django_sim: tuple[DjangoSimulator, str]
) -> DjangoSimulator:
    sim, _ = django_sim
    sim.options.honour_idempotency_keys = request.param
    return sim


@pytest.fixture
def quick(django_sim: tuple[DjangoSimulator, str]) -> Iterator[DjangoAPIClient]:
    """A client with a short timeout, logged in already (its login is not the lost POST)."""
    _, url = django_sim
    policy = RetryPolicy(timeout_seconds=0.5, max_retries=3, backoff_initial_seconds=0.01)
    with DjangoAPIClient(
        url, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD, policy=policy
    ) as client:
        client.ping_authenticated()
        yield client


@pytest.mark.parametrize("lost", ["apply_then_fail_next", "apply_then_hang_next"])
def test_a_job_whose_answer_is_lost_is_recorded_once(
    simulator: DjangoSimulator, quick: DjangoAPIClient, lost: str
) -> None:
    simulator.options.faults.update({lost: 1, "hang_seconds": 1.0})
    record = quick.get_or_create_job(
        report_id=1, fireant_jobid="geo_job_lost", report_modifier_id=None
    )
    jobs = [job for job in simulator.jobs.values() if job["fireant_jobid"] == "geo_job_lost"]
    assert [job["id"] for job in jobs] == [record.id]
    assert simulator.options.faults.apply_then_fail_next == 0
    assert simulator.options.faults.apply_then_hang_next == 0  # the fault did happen


def test_a_modifier_whose_answer_is_lost_is_linked_once(
    simulator: DjangoSimulator, quick: DjangoAPIClient
) -> None:
    simulator.options.faults.update({"apply_then_fail_next": 1})  # the creation's answer
    modifier = quick.get_or_create_modifier_for_date(1, DAY)
    assert [mid for rid, mid in simulator.links if rid == 1] == [modifier.id]
    assert quick.get_or_create_modifier_for_date(1, DAY) == modifier
    # An API that ignores the key keeps the first, never linked, modifier: it has no
    # natural key to find it by before it is linked.
    honoured = simulator.options.honour_idempotency_keys
    assert len(simulator.modifiers) == (1 if honoured else 2)
    assert simulator.stats["idempotent_replays"] == (1 if honoured else 0)


def test_a_link_whose_answer_is_lost_is_not_posted_again(
    simulator: DjangoSimulator, quick: DjangoAPIClient
) -> None:
    modifier = quick.create_modifier(DAY, DAY)
    simulator.options.faults.update({"apply_then_fail_next": 1})
    quick.link_modifier_to_report(1, modifier.id)  # a second POST would be a 400
    assert (1, modifier.id) in simulator.links
    assert quick.find_modifier_for_date(1, DAY) == modifier


def test_an_answer_lost_on_every_attempt_ends_in_api_unavailable_and_one_record(
    django_sim: tuple[DjangoSimulator, str], quick: DjangoAPIClient
) -> None:
    from resilient_http import ApiUnavailable

    sim, _ = django_sim
    sim.options.honour_idempotency_keys = False
    sim.options.faults.update({"apply_then_fail_next": 1, "fail_next": 100})
    with pytest.raises(ApiUnavailable, match="/api/"):
        quick.create_job(report_id=2, fireant_jobid="geo_job_down")
    sim.options.faults.update({"fail_next": 0})
    again = quick.get_or_create_job(report_id=2, fireant_jobid="geo_job_down")
    assert [job["id"] for job in sim.jobs.values() if job["report_id"] == 2] == [again.id]
