"""The queue: a committed message is enqueued for delivery, a rolled-back one never; a
queue that is down does not fail the join; and a Huey consumer in its own process
delivers what a join enqueued, to a real SMTP server."""

import logging
import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.groups import service
from campaign.messaging import delivery, queue
from campaign.models import Message, MessageStatus
from tests.factories import volunteer
from tests.helpers import free_port
from tests.messaging.outbox_rows import add_messages, message
from tests.messaging.processes import ROOT, flask_command, instance_env


def _use_queue(app, url: str):
    app.config["QUEUE_URL"] = url
    queue.init_app(app)
    return queue.huey_for(app)


def _enqueued(huey) -> list[int]:
    return sorted(task.args[0] for task in huey.pending())


@pytest.fixture
def memory_queue(app):
    return _use_queue(app, "memory://")


@pytest.fixture
def verified_event(make_campaign, make_event):
    return make_event(campaign=make_campaign(verify_contacts=True))


def _message_ids() -> list[int]:
    db.session.rollback()
    return sorted(db.session.scalars(select(Message.id)))


def test_a_join_enqueues_its_code_once_committed(app, memory_queue, verified_event):
    service.start_group(verified_event, volunteer(contact="new@example.org"))
    db.session.flush()
    assert _enqueued(memory_queue) == []  # not before the commit: it might roll back
    db.session.commit()

    ids = _message_ids()
    assert len(ids) == 1
    assert _enqueued(memory_queue) == ids


def test_a_rolled_back_join_enqueues_nothing(app, memory_queue, verified_event):
    service.start_group(verified_event, volunteer(contact="gone@example.org"))
    db.session.flush()
    db.session.rollback()
    assert _message_ids() == []
    assert _enqueued(memory_queue) == []

    later = add_messages(1)  # the next transaction's commit enqueues its own only
    assert _enqueued(memory_queue) == later


def test_retry_enqueues_the_message_once_committed(app, memory_queue):
    (message_id,) = add_messages(1)
    memory_queue.flush()
    row = message(message_id)
    row.status = MessageStatus.FAILED
    db.session.commit()
    assert _enqueued(memory_queue) == []

    delivery.retry(message(message_id))
    assert _enqueued(memory_queue) == []
    db.session.commit()
    assert _enqueued(memory_queue) == [message_id]


def test_the_join_does_not_wait_for_the_transport(app, memory_queue, verified_event, smtp_server):
    """The join only records and enqueues: nothing reaches the SMTP server until a
    deliverer runs."""
    app.config.update(smtp_server.config())
    service.start_group(verified_event, volunteer(contact="later@example.org"))
    db.session.commit()
    (message_id,) = _message_ids()
    assert smtp_server.received == []
    assert message(message_id).status is MessageStatus.QUEUED
    assert delivery.deliver_one(message_id).sent == 1
    assert smtp_server.wait_for().rcpt_tos == ("later@example.org",)


def test_a_queue_that_is_down_does_not_fail_the_join(app, verified_event, caplog):
    _use_queue(app, f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    with caplog.at_level(logging.WARNING, logger="campaign.messages"):
        began = time.monotonic()
        service.start_group(verified_event, volunteer(contact="down@example.org"))
        db.session.commit()
        took = time.monotonic() - began
    assert len(_message_ids()) == 1  # recorded: the tick delivers it
    assert "not enqueued (ConnectionError): the next tick delivers them" in caplog.text
    assert "down@example.org" not in caplog.text
    assert took < 5


@pytest.mark.parametrize("url", ["", "none"])
def test_no_queue_url_means_no_queue(app, url):
    assert _use_queue(app, url) is None
    add_messages(1)  # committing enqueues nothing, and fails nothing


@pytest.mark.parametrize("url", ["postgres://x/y", "sqlite://", "queue.sqlite3"])
def test_a_queue_url_that_cannot_work_stops_the_app_at_start(app, url):
    app.config["QUEUE_URL"] = url
    with pytest.raises(queue.QueueConfigurationError, match="QUEUE_URL"):
        queue.init_app(app)


def test_the_queue_file_is_under_the_instance_folder(app, tmp_path):
    huey = queue.huey_for(app)
    assert huey.__class__.__name__ == "SqliteHuey"
    assert huey.storage.filename == f"{app.instance_path}/queue.sqlite3"


def test_a_forked_worker_makes_its_own_huey(app):
    """A gunicorn worker forked after the app was made does not share its parent's
    connection to the queue's storage."""
    parent = queue.huey_for(app)
    assert queue.huey_for(app) is parent  # made once per process
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        answer = b"0"
        try:
            answer = b"1" if queue.huey_for(app) is not parent else b"0"
        finally:
            os.write(write, answer)
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    os.close(write)


def test_flask_consume_refuses_without_a_queue(app, runner):
    app.config["QUEUE_URL"] = ""
    queue.init_app(app)
    result = runner.invoke(args=["consume"])
    assert result.exit_code == 1
    assert "QUEUE_URL is empty" in result.output


def test_flask_consume_refuses_the_console_over_https(app, runner):
    app.config["PREFERRED_URL_SCHEME"] = "https"
    result = runner.invoke(args=["consume"])
    assert result.exit_code == 1
    assert "MAIL_SERVER is not set" in result.output


# --- a real consumer ---------------------------------------------------------------------


@pytest.mark.xdist_group("timing")
def test_a_consumer_delivers_what_a_join_enqueued(
    app, database_url, verified_event, smtp_server, tmp_path
):
    queue_file = tmp_path / "queue" / "huey.sqlite3"
    queue_file.parent.mkdir()
    huey = _use_queue(app, f"sqlite:///{queue_file}")
    env = instance_env(
        tmp_path / "consumer",
        database_url,
        QUEUE_URL=f"sqlite:///{queue_file}",
        **smtp_server.config(),
    )
    consumer = subprocess.Popen(
        [*flask_command("consume", "--workers", "1")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        service.start_group(verified_event, volunteer(contact="queued@example.org"))
        db.session.commit()
        (message_id,) = _message_ids()
        assert huey.pending_count() == 1

        received = smtp_server.wait_for(timeout=120)
        assert received.rcpt_tos == ("queued@example.org",)
        deadline = time.monotonic() + 30
        while message(message_id).status is not MessageStatus.SENT:
            assert time.monotonic() < deadline, "not marked sent"
            time.sleep(0.1)
        assert huey.pending_count() == 0  # the task was taken from the queue
    finally:
        consumer.send_signal(signal.SIGINT)  # a graceful stop
        output, _ = consumer.communicate(timeout=60)
    assert consumer.returncode == 0, output
    assert "Executing campaign.messaging.queue.deliver" in output, output
    assert f"message {message_id} sent" in output
    assert len(smtp_server.received) == 1
