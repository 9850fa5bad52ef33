"""Write transactions that are safe under concurrency on SQLite and PostgreSQL.

On PostgreSQL, services lock the rows they change with SELECT … FOR UPDATE, and every
connection has a lock and a statement timeout (``campaign.database``). On SQLite (in WAL
mode) there is one writer at a time; a transaction that read first and writes later cannot
always upgrade its lock ("database is locked" at once, whatever the busy timeout), so a
writer must start with BEGIN IMMEDIATE.

One rule decides which transactions are writers' (``request_writes``): every request that
can change something — any method but GET, HEAD and OPTIONS, and the few GET views marked
with ``@writes`` (access logs) — takes the write lock before its first read. Services that
write outside a request (the CLI) call ``begin_write`` themselves. Under TESTING a write in
a reader's transaction during a request raises, so a view that writes unmarked fails its
tests instead of failing on the day.
"""

import logging

from flask import current_app, has_request_context, request
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from campaign.extensions import db

log = logging.getLogger(__name__)

_READS = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")
#: Methods that never change anything (RFC 9110 "safe" methods).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadTransactionWrote(RuntimeError):
    """A request wrote in a transaction that did not take the write lock first."""


def writes(view):
    """Marks a GET view that writes (e.g. records who saw contacts): its transaction takes
    the write lock first, as every POST does."""
    view.writes = True
    return view


def request_writes() -> bool:
    """Whether the current request's transactions are writers' (see the module docstring)."""
    if not has_request_context():
        return False
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, "writes", False))


def _on_begin(conn) -> None:
    # Writers start with BEGIN IMMEDIATE: they take the write lock up front, waiting up to
    # the busy timeout, instead of failing when a read transaction tries to write.
    immediate = bool(conn.get_execution_options().get("sqlite_immediate")) or request_writes()
    conn.info["sqlite_immediate"] = immediate
    conn.info["sqlite_wrote"] = False
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _on_execute(conn, _cursor, statement: str, *_args) -> None:
    if conn.info.get("sqlite_wrote") or statement.lstrip().upper().startswith(_READS):
        return
    conn.info["sqlite_wrote"] = True
    if not conn.info.get("sqlite_immediate") and has_request_context():
        message = (
            f"{request.method} {request.endpoint} wrote in a read transaction: "
            "mark the view with @campaign.transactions.writes"
        )
        if current_app.testing:
            raise ReadTransactionWrote(message)
        log.warning(message)


def install_sqlite(engine: Engine) -> None:
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "before_cursor_execute", _on_execute)


def begin_write() -> None:
    """Make the session's transaction a writer's: BEGIN IMMEDIATE on SQLite.

    Call before the first read of a change that must see the latest data. A read-only
    transaction already open is ended first. One that has written already holds SQLite's
    write lock (its write could only succeed on the latest snapshot), so it goes on.
    """
    session = db.session()  # the request's Session, not the scoped_session proxy
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            session.flush()
        info = session.connection().info
        if info.get("sqlite_immediate") or info.get("sqlite_wrote"):
            return
        session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})


def release_lock() -> None:
    """End a transaction that has changed nothing yet, before slow work (a password hash),
    so no lock is held over it; the next query begins a new one (a writer's again in a
    request that writes). Loaded rows are read again when next used."""
    session = db.session()
    changed = session.new or session.dirty or session.deleted or session.info.get("flushed")
    if session.in_transaction() and not changed:
        session.rollback()


@event.listens_for(Session, "after_flush")
def _flushed(session, _context) -> None:
    session.info["flushed"] = True  # written, not yet committed: release_lock keeps it


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("flushed", None)


def locked(model, row_id: int):
    """The row read fresh with SELECT … FOR UPDATE (a no-op clause on SQLite)."""
    return db.session.scalars(
        select(model)
        .where(model.id == row_id)
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    ).one()


def lock_event(event):
    """Take an event's write lock (the one every sign-up and event edit takes) and return
    the event read fresh under it."""
    begin_write()
    return locked(type(event), event.id)
