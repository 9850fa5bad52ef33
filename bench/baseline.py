"""Baselines served with the same gunicorn settings as the app, for bench/run.py:
``hello`` (a bare Flask endpoint) and ``sqlite_insert`` (one row inserted inside
BEGIN IMMEDIATE into a WAL-mode SQLite file, with raw sqlite3)."""

import os
import sqlite3
import threading

from flask import Flask

hello = Flask("hello")


@hello.get("/")
def say_hello():
    return "Hello, World!"


_PATH = os.environ.get("BENCH_SQLITE_PATH", "/tmp/bench-baseline.sqlite3")  # noqa: S108


_open = threading.local()


def _connection() -> sqlite3.Connection:
    """One connection per serving thread, kept open (as the app's pool does): a sqlite3
    connection belongs to the thread that made it."""
    connection = getattr(_open, "connection", None)
    if connection is None:
        connection = sqlite3.connect(_PATH, isolation_level=None, timeout=5)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=5000")
        connection.execute("CREATE TABLE IF NOT EXISTS row (id INTEGER PRIMARY KEY, value TEXT)")
        _open.connection = connection
    return connection


sqlite_insert = Flask("sqlite_insert")


@sqlite_insert.post("/")
def insert_row():
    connection = _connection()
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO row (value) VALUES (?)", ("x" * 40,))
    connection.execute("COMMIT")
    return "", 201
