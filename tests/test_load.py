"""Concurrent joins through several real gunicorn workers, on SQLite and PostgreSQL: the
rules hold (bench/load.py checks them), and a SIGKILL in the middle loses no join that was
acknowledged. `make load` runs the same at full size."""

import threading
import time

import pytest

from bench.load import (
    Outcome,
    Server,
    check_invariants,
    create_event,
    prepare_instance,
    run_load,
)
from tests.conftest import postgresql_database


@pytest.fixture(params=["sqlite", "postgresql"])
def load_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'load.sqlite3'}"
    else:
        with postgresql_database(request.getfixturevalue("postgresql_server")) as url:
            yield url


@pytest.fixture
def served_event(load_database, tmp_path):
    instance = tmp_path / "instance"
    prepare_instance(instance)
    ref = create_event(load_database, instance, max_group_size=5)
    server = Server(load_database, instance, workers=3).start()
    yield load_database, instance, ref, server
    server.stop()


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


def test_a_killed_server_loses_no_acknowledged_join(served_event):
    database_url, instance, ref, server = served_event
    outcome = Outcome()
    worker = threading.Thread(
        target=run_load,
        args=(server.base, ref, 120, 8),
        kwargs={"deadline": 60, "outcome": outcome},
    )
    worker.start()
    deadline = time.monotonic() + 30
    while len(outcome.acknowledged) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()  # SIGKILL to the master and every worker, mid-load
    worker.join(timeout=120)
    assert len(outcome.acknowledged) >= 10
    assert outcome.failed > 0, "the kill came too late to interrupt anything"

    restarted = Server(database_url, instance, workers=2).start()
    try:
        after = run_load(restarted.base, ref, joins=3, users=3, deadline=30, first=1000)
    finally:
        restarted.stop()
    assert len(after.acknowledged) == 3  # the app works again after the crash
    everything = outcome.acknowledged + after.acknowledged
    assert check_invariants(database_url, ref, everything) == []  # with integrity_check
