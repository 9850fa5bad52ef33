"""Write transactions that are safe under concurrency on SQLite and PostgreSQL.

On PostgreSQL, services lock the rows they change with SELECT … FOR UPDATE. On SQLite
(in WAL mode) there is one writer at a time; a transaction that read first and writes later
cannot always upgrade its lock, so a writer must start with BEGIN IMMEDIATE.
"""

from sqlalchemy import event
from sqlalchemy.orm import Session

from campaign.extensions import db

_FLUSHED = "campaign_flushed"


def _mark_flushed(session, _context):
    session.info[_FLUSHED] = True


def _clear_flushed(session, *_args):
    session.info.pop(_FLUSHED, None)


def install() -> None:
    """Track whether a session's transaction has written anything (idempotent)."""
    if not event.contains(Session, "after_flush", _mark_flushed):
        event.listen(Session, "after_flush", _mark_flushed)
        event.listen(Session, "after_commit", _clear_flushed)
        event.listen(Session, "after_soft_rollback", _clear_flushed)


def begin_write() -> None:
    """Make the session's transaction a writer's: BEGIN IMMEDIATE on SQLite.

    Call before the first read of a change that must see the latest data. A read-only
    transaction already open is ended first; one that has written is a bug.
    """
    session = db.session()  # the request's Session, not the scoped_session proxy
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.connection().info.get("sqlite_immediate"):
            return
        if session.new or session.dirty or session.deleted or session.info.get(_FLUSHED):
            raise RuntimeError("begin_write() after changes were made in a read transaction")
        session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})
