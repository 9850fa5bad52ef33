"""The task queue (Huey) that delivers the outbox: a task per new message, enqueued once
the transaction that recorded it has committed, and a tick every minute that plans what
is due, frees expired unverified seats and sends whatever is due (so a message whose
enqueue was lost, or whose deliverer died, is found again).

QUEUE_URL says where Huey keeps its tasks: ``sqlite:///path`` (the default, under
instance/: no server needed), ``redis://host:port/db`` (several hosts share the work),
``memory://`` (one process: tests), or empty or ``none`` (no queue: ``flask deliver``
from cron does the work). ``flask consume`` runs the consumer; ``flask deliver`` sends
what is due and exits.
"""

import logging
import os
import threading
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from campaign.models import Message

log = logging.getLogger("campaign.messages")

EXTENSION = "campaign.queue"
_PENDING = "campaign.queue.pending"


class QueueConfigurationError(ValueError):
    pass


def _storage(url: str) -> tuple[str, str]:
    """("sqlite", path), ("redis", url), ("memory", "") or ("", "") for no queue; raises
    QueueConfigurationError for anything else."""
    url = (url or "").strip()
    if url.lower() in ("", "none"):
        return "", ""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return "sqlite", url.removeprefix("sqlite:///")
    if scheme in ("redis", "rediss", "unix"):
        return "redis", url
    if scheme == "memory":
        return "memory", ""
    raise QueueConfigurationError(
        f"QUEUE_URL {url!r}: expected sqlite:///path/to/file, redis://host:port/db, "
        "memory://, or none (no queue: flask deliver from cron)"
    )


def make_huey(url: str, name: str = "campaign") -> Huey | None:
    """The Huey instance QUEUE_URL names; None when it is empty (no queue)."""
    kind, where = _storage(url)
    if kind == "sqlite":
        return SqliteHuey(name, filename=where, results=False)
    if kind == "redis":
        return RedisHuey(name, url=where, results=False)
    if kind == "memory":
        return MemoryHuey(name, results=False)
    return None


class Queue:
    """The app's Huey and its tasks, made on first use (most requests never enqueue)."""

    def __init__(self, app: Flask):
        self.app = app
        self.url = app.config.get("QUEUE_URL", "")
        _storage(self.url)  # a wrong QUEUE_URL fails at start, not on the first join
        self._huey: Huey | None = None
        self._made = 0  # the process the Huey instance was made in
        self._making = threading.Lock()

    @property
    def huey(self) -> Huey | None:
        # Made again in a forked child (a gunicorn worker): a SQLite or Redis connection
        # must not be shared between processes.
        if self._made != os.getpid():
            with self._making:
                if self._made != os.getpid():
                    self._huey = make_huey(self.url)
                    if self._huey is not None:
                        self._tasks(self._huey)
                    self._made = os.getpid()
        return self._huey

    def _tasks(self, huey: Huey) -> None:
        app = self.app

        @huey.task()
        def deliver(message_id: int) -> None:
            from campaign.messaging import delivery

            with app.app_context():
                delivery.deliver_one(message_id)

        @huey.periodic_task(crontab(minute="*"))
        def tick() -> None:
            from campaign.messaging import delivery

            with app.app_context():
                report = delivery.tick()
                counts = report.delivered
                if counts.sent or counts.retrying or counts.failed or report.released:
                    log.info(
                        "tick: %s sent, %s to retry, %s failed, %s seats released",
                        counts.sent,
                        counts.retrying,
                        counts.failed,
                        report.released,
                    )

        self.deliver = deliver
        self.tick = tick

    def enqueue(self, message_ids) -> None:
        """Ask the consumer to deliver these messages now. Only a write to Huey's storage;
        if it fails (Redis down) the periodic tick delivers them anyway."""
        try:
            huey = self.huey
            if huey is None:
                return
            for message_id in message_ids:
                self.deliver(message_id)
        except Exception as error:
            log.warning(
                "messages %s not enqueued (%s): the next tick delivers them",
                sorted(message_ids),
                type(error).__name__,
            )


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Queue(app)


def queue_for(app: Flask | None = None) -> Queue:
    return (app or current_app).extensions[EXTENSION]


def huey_for(app: Flask | None = None) -> Huey | None:
    return queue_for(app).huey


def enqueue_after_commit(message_id: int, session: Session | None = None) -> None:
    """Deliver this message once the session's transaction commits (nothing if it rolls
    back). New Message rows are enqueued so without asking."""
    from campaign.extensions import db

    (session or db.session()).info.setdefault(_PENDING, set()).add(message_id)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context) -> None:
    new = [obj.id for obj in session.new if isinstance(obj, Message)]
    if new:
        session.info.setdefault(_PENDING, set()).update(new)


@event.listens_for(Session, "after_commit")
def _enqueue(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending and has_app_context() and EXTENSION in current_app.extensions:
        queue_for().enqueue(pending)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed: popped above)
        session.info.pop(_PENDING, None)
