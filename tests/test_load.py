"""Concurrent joins through several real gunicorn workers: the rules hold (bench/load.py
checks them), on SQLite and PostgreSQL, and a SIGKILL in the middle loses no join that was
acknowledged. `make load` runs the same at full size.

Only the concurrent joins run on both databases; the checker and the crash are about the
server and the load, not the database, and run on SQLite."""

import threading

import pytest

from bench.load import (
    Outcome,
    check_invariants,
    create_event,
    prepare_instance,
    run_load,
)
from tests.databases import BACKENDS
from tests.served import Server

# Servers under load, and a crash: one at a time, in one xdist worker.
pytestmark = pytest.mark.xdist_group("timing")


@pytest.fixture
def served_event(empty_database_url, tmp_path):
    instance = tmp_path / "instance"
    prepare_instance(instance)
    ref = create_event(empty_database_url, instance, max_group_size=5)
    server = Server(empty_database_url, instance, workers=3).start()
    yield empty_database_url, instance, ref, server
    server.stop()


@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)
def test_concurrent_joins_keep_every_rule(served_event):
    database_url, _, ref, server = served_event
    outcome = run_load(server.base, ref, joins=40, users=10, duplicates=5, deadline=60)
    assert outcome.failed == 0
    assert len(outcome.acknowledged) == 35  # every distinct contact got in
    assert outcome.refused == 5  # every duplicate was refused
    assert check_invariants(database_url, ref, outcome.acknowledged) == []


def test_the_checker_catches_a_broken_rule(served_event):
    database_url, _, ref, server = served_event
    outcome = run_load(server.base, ref, joins=3, users=3, deadline=30)
    invented = [*outcome.acknowledged, ("nobody@example.org", "x" * 32)]
    assert check_invariants(database_url, ref, invented) == [
        "nobody@example.org was told they joined but is not in the database"
    ]


class _Acknowledged(list):
    """Outcome.acknowledged that calls ``then()`` once, as the ``count``-th join is
    acknowledged (appended under the outcome's lock, so no other join is recorded
    meanwhile)."""

    def __init__(self, count: int, then):
        super().__init__()
        self.count, self.then = count, then

    def append(self, item) -> None:
        super().append(item)
        if len(self) == self.count:
            self.then()


def test_a_killed_server_loses_no_acknowledged_join(served_event):
    database_url, instance, ref, server = served_event
    killed_after: list[int] = []

    def kill() -> None:  # SIGKILL to the master and every worker, mid-load
        server.kill()
        killed_after.append(len(outcome.acknowledged))

    outcome = Outcome(acknowledged=_Acknowledged(10, kill))
    worker = threading.Thread(
        target=run_load,
        args=(server.base, ref, 120, 8),
        kwargs={"deadline": 60, "outcome": outcome},
    )
    worker.start()
    worker.join(timeout=120)
    assert killed_after == [10], "the server was not killed after the 10th acknowledged join"
    # The kill landed mid-load: of 120 joins, the ones after it found no server.
    assert outcome.failed > 0

    restarted = Server(database_url, instance, workers=2).start()
    try:
        after = run_load(restarted.base, ref, joins=3, users=3, deadline=30, first=1000)
    finally:
        restarted.stop()
    assert len(after.acknowledged) == 3  # the app works again after the crash
    everything = outcome.acknowledged + after.acknowledged
    assert check_invariants(database_url, ref, everything) == []  # with integrity_check
