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

import fcntl
import logging
import os
import queue
import sqlite3
import threading
import time
import weakref
from collections import deque
from types import SimpleNamespace

from flask import current_app, has_request_context, request
from sqlalchemy import Engine, event, select
from sqlalchemy import exc as sa_exc
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


class ProcessQueue:
    """The writers of every process using one SQLite file queue here, one process at a time.

    SQLite's own wait for its write lock (the busy handler) sleeps and retries, up to 100 ms
    between tries: with two gunicorn workers, one worker's writers took the lock back to back
    while the other's slept, and joins waited seconds (p99 2 s in ``make bench``). Here each
    process's turn is an fcntl lock on a file beside the database, ``<database>-write-queue``,
    and a waiting process is woken by the kernel the moment the lock is free.

    Two byte locks make the turns fair: a process takes ENTRY, then MAIN, then lets ENTRY go,
    and holds MAIN while it writes. A waiting process holds ENTRY while it waits for MAIN, so
    the process that just wrote cannot take MAIN again before it: it waits at ENTRY.

    fcntl locks belong to the process and go with it (a killed worker holds nothing); one
    thread of the process holds its turn at a time (``_turn``), as the holder of an engine's
    in-process gate (:class:`WriteGate`). fcntl cannot wait with a time limit: a waiter
    thread does the waiting, and gives back a turn that came after its requester stopped
    waiting. SQLite's own lock still guards every write; this only orders the waiting.
    """

    ENTRY, MAIN = 0, 1

    def __init__(self, path: str):
        self.path = path
        self._pid = 0
        self._fd = -1

    def _start(self) -> None:
        """Per process (again after a fork: locks and threads are not inherited)."""
        self._fd = -1  # a parent's descriptor, if any, holds no lock of ours
        self._turn = threading.Lock()  # this process's turn: one holder, any thread ends it
        self._mutex = threading.Lock()
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0  # requests the waiter has not answered yet
        self._waiter_running = False
        self._pid = os.getpid()

    def _lock(self, byte: int, wait: bool = True) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB, 1, byte)

    def _unlock(self, byte: int) -> None:
        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, byte)

    def _try(self) -> bool:
        """MAIN at once when nobody waits and nobody writes: two system calls, no thread."""
        try:
            self._lock(self.ENTRY, wait=False)
        except OSError:
            return False  # another process is waiting: queue behind it
        try:
            self._lock(self.MAIN, wait=False)
            return True
        except OSError:
            return False
        finally:
            self._unlock(self.ENTRY)

    def acquire(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for this process's turn; False if it did not come."""
        deadline = time.monotonic() + timeout
        if self._pid != os.getpid():
            with _QUEUES_LOCK:
                if self._pid != os.getpid():
                    self._start()
        if not self._turn.acquire(timeout=max(timeout, 0)):
            return False  # another engine of this process on the same file has the turn
        try:
            if self._fd < 0:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            if self._take(deadline - time.monotonic()):
                return True
        except OSError:
            log.exception("the SQLite write queue could not be used")
        self._close_if_idle()
        self._turn.release()
        return False

    def _take(self, timeout: float) -> bool:
        with self._mutex:
            waiting = self._pending  # a turn given up earlier may still be on its way
        if not waiting and self._try():
            return True
        request = SimpleNamespace(granted=threading.Event(), abandoned=False)
        with self._mutex:
            self._pending += 1
            if not self._waiter_running:
                self._waiter_running = True
                threading.Thread(
                    target=self._waiter, name="sqlite-write-queue", daemon=True
                ).start()
        self._requests.put(request)
        if request.granted.wait(max(timeout, 0)):
            return True
        with self._mutex:
            request.abandoned = not request.granted.is_set()
        return not request.abandoned

    def release(self) -> None:
        try:
            self._unlock(self.MAIN)
            self._close_if_idle()
        finally:
            self._turn.release()

    def _close_if_idle(self) -> None:
        """Closed between writes, so engines no longer used (an app per test) hold no file;
        kept while the waiter may lock with it (closing would drop the process's locks)."""
        with self._mutex:
            if self._waiter_running or self._fd < 0:
                return
            os.close(self._fd)
            self._fd = -1

    def _waiter(self) -> None:
        while True:
            request = self._requests.get()
            try:
                self._lock(self.ENTRY)
                try:
                    self._lock(self.MAIN)
                finally:
                    self._unlock(self.ENTRY)
                got = True
            except OSError:  # e.g. EDEADLK: the requester times out into "busy"
                log.exception("waiting for the SQLite write queue failed")
                got = False
            with self._mutex:
                self._pending -= 1
                if got and request.abandoned:
                    self._unlock(self.MAIN)  # its requester has answered "busy" already
                elif got:
                    request.granted.set()
                if not self._pending:  # counted before it is put: none on its way
                    self._waiter_running = False
                    return


def process_queue_for(engine: Engine) -> ProcessQueue | None:
    """The queue beside the engine's SQLite file; None for a database in memory (one
    process's own) or a file: URI, and when no file can be made beside it."""
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = f"{os.path.abspath(database)}-write-queue"
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
    except OSError as error:
        log.warning("no write queue between processes (%s): SQLite's busy wait only", error)
        return None
    # One per file and process: fcntl locks are the process's, and closing any descriptor
    # of the file would drop them all, so engines on one file share its queue.
    with _QUEUES_LOCK:
        found = _QUEUES.get(path)
        if found is None:
            found = _QUEUES[path] = ProcessQueue(path)
    return found


_QUEUES: "weakref.WeakValueDictionary[str, ProcessQueue]" = weakref.WeakValueDictionary()
_QUEUES_LOCK = threading.Lock()


class FairLock:
    """A re-entrant lock served first come, first served. ``threading.RLock`` lets a thread
    that has just released it take it again before the threads already waiting wake up, so
    under a steady stream of writes some waiters are passed over many times (a join's p99
    of seconds). Here a release hands the lock to the longest waiter directly."""

    def __init__(self):
        self._mutex = threading.Lock()
        self._waiters: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._count = 0

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._count += 1
                return True
            if self._owner is None and not self._waiters:
                self._owner, self._count = me, 1
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append((me, waiter))
        woken = waiter.acquire(timeout=max(timeout, 0))
        with self._mutex:
            if woken or self._owner == me:  # handed over, perhaps as the wait timed out
                return True
            self._waiters.remove((me, waiter))
            return False

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("cannot release un-acquired lock")
            self._count -= 1
            if self._count:
                return
            self._owner = None
            if self._waiters:
                self._owner, waiter = self._waiters.popleft()
                self._count = 1
                waiter.release()


class WriteGate:
    """The writers of one process queue here, in turn, before BEGIN IMMEDIATE; then the
    process waits for its turn among processes (:class:`ProcessQueue`).

    SQLite's busy handler retries on a timer (sleeping up to 100 ms between tries), so many
    threads waiting for the write lock are served in no order and some wait seconds. Threads
    of one process take this lock first, and only its holder asks for the process's turn
    and then SQLite. Both waits together last at most the busy timeout.
    """

    def __init__(self, timeout_ms: int, between_processes: ProcessQueue | None = None):
        self._lock = FairLock()  # re-entrant: a second connection in one thread
        self._depth = 0  # connections of the holding thread that hold the gate
        self._processes = between_processes
        self.timeout = timeout_ms / 1000

    def enter(self, info: dict) -> None:
        if info.get("write_gate") is self:
            return  # this connection holds it already
        deadline = time.monotonic() + self.timeout
        if not self._lock.acquire(timeout=self.timeout):
            raise _busy("queue")
        processes = self._processes if self._depth == 0 else None
        if processes is not None and not processes.acquire(deadline - time.monotonic()):
            self._lock.release()
            raise _busy("queue between processes")
        self._depth += 1
        info["write_gate"] = self

    def leave(self, info: dict) -> None:
        if info.pop("write_gate", None) is not self:
            return
        self._depth -= 1
        try:
            if self._depth == 0 and self._processes is not None:
                self._processes.release()  # the next process's writer goes on at once
        finally:
            try:
                self._lock.release()
            except RuntimeError:  # released by another thread (a connection collected)
                log.warning("write gate released outside its thread")


def _busy(where: str) -> sa_exc.OperationalError:
    """What SQLite says when its lock cannot be had: answered 503 "busy" (campaign.errors)."""
    return sa_exc.OperationalError(
        "BEGIN IMMEDIATE", {}, sqlite3.OperationalError(f"database is locked ({where})")
    )


def _on_begin(conn) -> None:
    # Writers start with BEGIN IMMEDIATE: they take the write lock up front, waiting up to
    # the busy timeout, instead of failing when a read transaction tries to write.
    immediate = bool(conn.get_execution_options().get("sqlite_immediate")) or request_writes()
    conn.info["sqlite_immediate"] = immediate
    conn.info["sqlite_wrote"] = False
    if not immediate:
        conn.exec_driver_sql("BEGIN")
        return
    gate = conn.engine.info_write_gate
    gate.enter(conn.info)
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except Exception:
        gate.leave(conn.info)
        raise


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


def install_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    engine.info_write_gate = WriteGate(  # type: ignore[attr-defined]
        busy_timeout_ms, process_queue_for(engine)
    )
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "before_cursor_execute", _on_execute)

    def leave(conn, *_args) -> None:
        engine.info_write_gate.leave(conn.info)  # type: ignore[attr-defined]

    # Every way a transaction ends lets the next writer of this process in.
    event.listen(engine, "commit", leave)
    event.listen(engine, "rollback", leave)
    event.listen(engine.pool, "reset", _on_reset)
    event.listen(engine.pool, "checkin", _leave_record)
    event.listen(engine.pool, "invalidate", _on_invalidate)
    event.listen(engine.pool, "close", _leave_record)


def _leave_record(_dbapi_connection, record) -> None:
    gate = record.info.get("write_gate") if record is not None else None
    if gate is not None:
        gate.leave(record.info)


def _on_reset(dbapi_connection, record, _reset_state) -> None:
    _leave_record(dbapi_connection, record)


def _on_invalidate(dbapi_connection, record, _exception) -> None:
    _leave_record(dbapi_connection, record)


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
