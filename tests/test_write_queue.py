"""Writers in several processes on one SQLite file take turns (campaign.transactions.
ProcessQueue): a process that keeps writing cannot shut another one out, as SQLite's own
sleep-and-retry wait let it (with two gunicorn workers, joins waited seconds). Real
processes, real files; SQLite only (PostgreSQL queues row locks itself)."""

import itertools
import multiprocessing
import os
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from campaign import create_app
from campaign.extensions import db
from campaign.models import Event
from tests.databases import app_config as _config

#: Timed waits: run beside the other timing tests, one at a time (see the Makefile).
pytestmark = pytest.mark.xdist_group("timing")

#: How long the busy process keeps writing, and how long each of its writes holds the lock.
HOG_SECONDS = 4.0
HOG_HOLD = 0.02
OTHER_WRITES = 5


def _app(path: str, busy_ms: int):
    """The app on the file (CAMPAIGN_INSTANCE_PATH set by the caller)."""
    return create_app({**_config(f"sqlite:///{path}"), "SQLITE_BUSY_TIMEOUT_MS": busy_ms})


def _write(engine, who: str, hold: float = 0.0) -> None:
    """One writer's transaction, as a POST's: BEGIN IMMEDIATE after the gates."""
    connection = engine.connect().execution_options(sqlite_immediate=True)
    with connection, connection.begin():
        connection.exec_driver_sql("INSERT INTO turn (who) VALUES (?)", (who,))
        time.sleep(hold)


def _hog(path, instance, started) -> None:
    """In another process: writes back to back for HOG_SECONDS, each write holding the lock
    HOG_HOLD s; the next begins the moment the last one committed."""
    os.environ["CAMPAIGN_INSTANCE_PATH"] = instance
    with _app(path, 30_000).app_context():
        _write(db.engine, "hog")
        started.set()
        stop_at = time.monotonic() + HOG_SECONDS
        while time.monotonic() < stop_at:
            _write(db.engine, "hog", HOG_HOLD)


def _hold(path, instance, holding, release) -> None:
    """In another process: holds the write turn (a writing transaction open) until told."""
    os.environ["CAMPAIGN_INSTANCE_PATH"] = instance
    with _app(path, 30_000).app_context():
        connection = db.engine.connect().execution_options(sqlite_immediate=True)
        with connection, connection.begin():
            holding.set()
            release.wait(30)


@pytest.fixture
def database(tmp_path, monkeypatch):
    path = tmp_path / "turns.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE turn (id INTEGER PRIMARY KEY, who TEXT)")
    instance = str(tmp_path / "instance")
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", instance)
    return str(path), instance


def _order(path: str) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [who for (who,) in connection.execute("SELECT who FROM turn ORDER BY id")]


def test_a_process_writing_non_stop_lets_another_process_write_in_turn(database):
    path, instance = database
    spawn = multiprocessing.get_context("spawn")
    started = spawn.Event()
    hog = spawn.Process(target=_hog, args=(path, instance, started))
    hog.start()
    try:
        with _app(path, 30_000).app_context():
            assert started.wait(60), "the writing process did not start"
            waits = []
            for n in range(OTHER_WRITES):
                began = time.perf_counter()
                _write(db.engine, f"other {n}")
                waits.append(time.perf_counter() - began)
            db.engine.dispose()
    finally:
        hog.join(60)
    order = _order(path)
    others = [i for i, who in enumerate(order) if who != "hog"]
    assert len(others) == OTHER_WRITES
    # Ours went in while the hog was still writing, each after about one of its writes
    # (20 ms): with SQLite's sleep-and-retry wait they waited for it to stop (4 s).
    assert others[-1] < len(order) - 1, f"waited for the other process to stop: {waits}"
    assert max(waits) < 1.0, waits
    # Turns alternate: between two of ours, the hog wrote about once, not a run of writes.
    assert all(b - a <= 3 for a, b in itertools.pairwise(others)), order


def test_a_turn_held_too_long_in_another_process_is_a_busy_answer(database):
    path, instance = database
    spawn = multiprocessing.get_context("spawn")
    holding, release = spawn.Event(), spawn.Event()
    holder = spawn.Process(target=_hold, args=(path, instance, holding, release))
    holder.start()
    try:
        assert holding.wait(60), "the holding process did not start"
        with _app(path, 300).app_context():
            began = time.perf_counter()
            with pytest.raises(OperationalError, match="database is locked"):
                _write(db.engine, "impatient")
            waited = time.perf_counter() - began
            release.set()
            holder.join(30)
            _write(db.engine, "after")  # the turn ended with the holder's transaction
            db.engine.dispose()
    finally:
        release.set()
        holder.join(30)
    assert 0.25 < waited < 3.0, waited
    assert _order(path) == ["after"]


def test_the_queue_file_is_beside_the_database(app):
    """Not in the checkout, and as private as the database."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    database = Path(db.engine.url.database)
    db.session.scalars(select(Event)).all()
    queue_file = database.with_name(database.name + "-write-queue")
    assert queue_file.exists()
    assert os.stat(queue_file).st_mode & 0o077 == 0


def test_threads_of_one_process_are_served_in_the_order_they_came():
    """The in-process gate hands the lock to the longest waiter: a thread that releases it
    and asks again at once (the next request of a busy thread) goes to the back, so a
    waiting writer is never passed over (threading.RLock lets the releaser barge in)."""
    import threading

    from campaign.transactions import FairLock

    lock = FairLock()
    order: list[str] = []
    assert lock.acquire(timeout=1)

    def waiter(name: str) -> None:
        assert lock.acquire(timeout=5)
        order.append(name)
        lock.release()

    threads = []
    for name in ("first", "second", "third"):
        thread = threading.Thread(target=waiter, args=(name,))
        thread.start()
        threads.append(thread)
        deadline = time.monotonic() + 5
        while len(lock._waiters) < len(threads) and time.monotonic() < deadline:
            time.sleep(0.001)  # each waiter queued before the next comes
    assert len(lock._waiters) == 3
    for _ in range(20):  # the holder writes again and again
        lock.release()
        assert lock.acquire(timeout=5)
        order.append("holder")
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order[:3] == ["first", "second", "third"], order


def test_a_waiter_that_gives_up_leaves_the_queue():
    from campaign.transactions import FairLock

    lock = FairLock()
    assert lock.acquire(timeout=1)
    import threading

    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(lock.acquire(timeout=0.05)))
    thread.start()
    thread.join(timeout=5)
    assert outcome == [False] and not lock._waiters
    lock.release()
    assert lock.acquire(timeout=0.1)  # free again, nobody waiting stuck in front
    lock.release()
