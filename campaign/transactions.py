"""Write transactions that are safe under concurrency on SQLite and PostgreSQL.

On PostgreSQL, services lock the rows they change with SELECT … FOR UPDATE. On SQLite
(in WAL mode) there is one writer at a time; a transaction that read first and writes later
cannot always upgrade its lock, so a writer must start with BEGIN IMMEDIATE.
"""

from sqlalchemy import Engine, event, select

from campaign.extensions import db

_READS = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE")


def _on_begin(conn) -> None:
    # Writers start with BEGIN IMMEDIATE: they take the write lock up front, waiting up to
    # the busy timeout, instead of failing when a read transaction tries to write.
    immediate = bool(conn.get_execution_options().get("sqlite_immediate"))
    conn.info["sqlite_immediate"] = immediate
    conn.info["sqlite_wrote"] = False
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _on_execute(conn, _cursor, statement: str, *_args) -> None:
    if not conn.info.get("sqlite_wrote") and not statement.lstrip().upper().startswith(_READS):
        conn.info["sqlite_wrote"] = True


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
