"""The instance folder holds the database, its keys and caches: private to the user the app
runs as (folder 0700, files 0600), however the process was started."""

import os
from pathlib import Path

from sqlalchemy import make_url


def restrict_umask(mask: int) -> None:
    """Files and folders this process creates from now on lack the ``mask`` permissions,
    whoever creates them: SQLite (database, -wal, -shm), the feed cache, later code. Only
    ever tightens: a stricter umask set by the host process stays."""
    current = os.umask(mask)
    os.umask(current | mask)


def create_private_folder(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)


def create_sqlite_file(database_uri: str) -> None:
    """Create a missing SQLite database file 0600 before SQLite does: SQLite then gives
    its -wal and -shm files the database's own permissions. (An empty file is an empty
    database.)"""
    url = make_url(database_uri)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return
    path = Path(url.database)
    if path.exists() or not path.parent.is_dir() or url.database.startswith("file:"):
        return
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # no O_TRUNC: a race is harmless
