"""Crash safety and concurrency with real processes, a real SMTP server (aiosmtpd) as the
receiving end, and the test's database (SQLite and PostgreSQL).

The receiving end counts what was handed over: a message that arrives twice or never is
seen there, whatever the database says."""

import json
import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update

from campaign.extensions import db
from campaign.models import Message, MessageStatus, utcnow
from tests.messaging.outbox_rows import add_messages, statuses
from tests.messaging.processes import instance_env, run_flask, start_deliverer

#: Processes racing: run beside the other timing tests, one at a time.
pytestmark = pytest.mark.xdist_group("timing")


def _wait_for_line(process, prefix: str, timeout: float = 120) -> str:
    """The first line of the process's stdout that starts with ``prefix``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line.strip()
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"no {prefix!r} line; stderr:\n{process.stderr.read()}")


def _recipients(smtp_server) -> Counter:
    return Counter(to for received in smtp_server.received for to in received.rcpt_tos)


def test_a_deliverer_killed_before_sending_loses_nothing_and_sends_nothing_twice(
    app, database_url, smtp_server, tmp_path
):
    add_messages(10)
    env = instance_env(tmp_path / "deliverer", database_url, **smtp_server.config())

    crasher = start_deliverer(env, "--pause-at", "4")
    paused = _wait_for_line(crasher, "PAUSED ")
    os.kill(crasher.pid, signal.SIGKILL)  # claimed ten, sent three, the fourth in hand
    crasher.wait(30)
    crasher.stdout.close()
    crasher.stderr.close()

    assert crasher.returncode == -signal.SIGKILL
    assert sum(_recipients(smtp_server).values()) == 3
    assert statuses() == {"sent": 3, "sending": 7}

    # At once, the dead deliverer's claims still hold (for MESSAGE_LEASE_SECONDS, five
    # minutes): nothing is taken from under a deliverer that may still be sending.
    first = run_flask(env, "deliver")
    assert first.returncode == 0, first.stderr
    assert "Sent 0," in first.stdout
    assert sum(_recipients(smtp_server).values()) == 3

    # Five minutes on (the clock moved, not slept: the leases end now), a fresh
    # `flask deliver` sends the rest, once each.
    db.session.execute(
        update(Message)
        .where(Message.status == MessageStatus.SENDING)
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    second = run_flask(env, "deliver")
    assert second.returncode == 0, second.stderr
    assert "Sent 7," in second.stdout
    received = _recipients(smtp_server)
    assert received == Counter({f"m{i}@example.org": 1 for i in range(10)})
    assert paused == "PAUSED test:m:3"
    assert statuses() == {"sent": 10}


def test_two_deliverers_at_once_send_each_message_once(app, database_url, smtp_server, tmp_path):
    total = 200
    add_messages(total)
    env = instance_env(tmp_path / "deliverers", database_url, **smtp_server.config())
    go = tmp_path / "go"

    deliverers = [
        start_deliverer(env, "--start-file", str(go), "--slow-claim", "0.05") for _ in range(2)
    ]
    for deliverer in deliverers:
        _wait_for_line(deliverer, "READY")  # both apps made, both waiting
    go.touch()
    counts = []
    for deliverer in deliverers:
        out, err = deliverer.communicate(timeout=300)
        assert deliverer.returncode == 0, err
        counts.append(json.loads(out.strip().splitlines()[-1]))

    sent = [c["sent"] for c in counts]
    assert sum(sent) == total, counts
    assert min(sent) > 0, f"they did not race: {sent}"  # both delivered some
    received = _recipients(smtp_server)
    assert sum(received.values()) == total  # none twice
    assert set(received) == {f"m{i}@example.org" for i in range(total)}  # none lost
    assert statuses() == {"sent": total}
