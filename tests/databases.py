"""The test databases: the app's test configuration, migrating, a throw-away PostgreSQL
database, and snapshots of a built world that each test gets a fresh copy of."""

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import JSON, column, insert, make_url, select, text
from sqlalchemy import table as sql_table

from campaign import create_app
from campaign.config import database_url_from_env
from campaign.extensions import db

BACKENDS = ["sqlite", "postgresql"]

#: Argon2id at its cheapest: the suite hashes about a thousand passwords. The production
#: parameters are pinned by tests/accounts/test_service.py.
CHEAP_HASHES = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}

#: Fixed contact keys (Fernet and HMAC): a snapshot taken by one app reads the same in
#: another, and no test app writes key files into its instance folder.
CONTACT_ENCRYPTION_KEY = "q2ALNJ-Mn3OmFCqCjSVrA9U0uhRMbd2gjLMV0qWTmyA="
CONTACT_HASH_KEY = "test-contact-hash-key"


def app_config(url: str) -> dict:
    """The configuration of every test app (``create_app(app_config(url))``)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_HASH_PARAMS": CHEAP_HASHES,
        "CONTACT_HASH_KEY": CONTACT_HASH_KEY,
        "CONTACT_ENCRYPTION_KEYS": [CONTACT_ENCRYPTION_KEY],
    }


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest migration."""
    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        if url.startswith("sqlite"):
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@contextmanager
def postgresql_database(server_url: str):
    """A new, empty PostgreSQL database on the server, named after this xdist worker and
    process; dropped afterwards."""
    server = make_url(database_url_from_env(server_url))
    name = f"campaign_test_{_worker()}_{os.getpid()}_{secrets.token_hex(4)}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_tables() -> None:
    """Delete every row of the app's tables in the current app context (PostgreSQL: their
    id sequences start again at 1)."""
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


def _raw(table):
    """The table without its column types: rows read and written as the database holds
    them (contacts stay encrypted, dates as stored), so copying skips every conversion.
    JSON columns keep their type: PostgreSQL's driver reads them as dicts, and a dict is
    written back only as JSON."""
    return sql_table(
        table.name,
        *(column(c.name, c.type if isinstance(c.type, JSON) else None) for c in table.c),
    )


@dataclass
class Snapshot:
    """Every row of every table, taken once (``Snapshot.take()``) and written into each
    test's fresh database (``restore()``): a world built once per module, yet each test may
    change its copy freely. Needs the same contact keys on both sides (``app_config``)."""

    rows: dict[str, list[dict]]

    @classmethod
    def take(cls) -> "Snapshot":
        rows = {}
        for table in db.metadata.sorted_tables:
            raw = _raw(table)
            order = [raw.c[c.name] for c in table.primary_key.columns]
            result = db.session.execute(select(raw).order_by(*order)).mappings()
            rows[table.name] = [dict(row) for row in result]
        db.session.rollback()
        return cls(rows)

    def restore(self) -> None:
        """Into the current app context's (empty) database, committed."""
        for table in db.metadata.sorted_tables:
            if self.rows[table.name]:
                db.session.execute(insert(_raw(table)), self.rows[table.name])
        if db.engine.dialect.name == "postgresql":
            for table in db.metadata.sorted_tables:
                if "id" not in table.c or not self.rows[table.name]:
                    continue
                sequence = f"pg_get_serial_sequence('\"{table.name}\"', 'id')"
                highest = f'SELECT max(id) FROM "{table.name}"'  # noqa: S608  (our tables)
                db.session.execute(text(f"SELECT setval({sequence}, ({highest}))"))
        db.session.commit()


#: For a module whose subject is not the database (a browser driving pages, a server under
#: load): ``pytestmark = SQLITE_ONLY`` runs its tests on SQLite only, where the ``app``
#: fixture otherwise runs each test on both databases.
SQLITE_ONLY = pytest.mark.parametrize("migrated_database", ["sqlite"], indirect=True)
