"""Fixtures: an app on a fresh database, once on SQLite and once on PostgreSQL.

PostgreSQL runs when TEST_DATABASE_URL (or --postgresql-url) names a server whose user may
create databases; each test session makes its own database there and drops it at the end.
Under CI=true a missing PostgreSQL fails the run instead of skipping.
"""

import contextvars
import os
import re
import secrets
import shutil
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event as sa_event
from sqlalchemy import make_url, text

from campaign import create_app
from campaign.accounts.service import create_organiser
from campaign.campaigns.service import CampaignDetails, create_campaign
from campaign.config import database_url_from_env
from campaign.events.service import (
    EventDetails,
    cancel_event,
    create_event,
    publish_event,
    submit_for_review,
)
from campaign.extensions import db
from campaign.models import EventStatus, VenueType, utcnow

PASSWORD = "correct horse battery staple"


TRANSLATIONS = Path(__file__).resolve().parents[1] / "campaign" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the Persian and Urdu catalogs when stale, as ``make test`` does, so a bare
    ``pytest`` sees the same pages."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=True)


def pytest_addoption(parser):
    parser.addoption(
        "--postgresql-url",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="A PostgreSQL server URL; database tests then also run there.",
    )


# --- databases ---------------------------------------------------------------------------


#: Argon2id at its cheapest: the suite hashes about a thousand passwords. The production
#: parameters are pinned by tests/accounts/test_service.py.
CHEAP_HASHES = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def _config(url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_HASH_PARAMS": CHEAP_HASHES,
    }


def _migrate(url: str) -> None:
    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        if url.startswith("sqlite"):
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()


@contextmanager
def postgresql_database(server_url: str):
    """A new, empty PostgreSQL database on the server; dropped afterwards."""
    server = make_url(database_url_from_env(server_url))
    name = f"campaign_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgresql_server(request):
    url = request.config.getoption("--postgresql-url")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI=true but no TEST_DATABASE_URL: PostgreSQL tests cannot be skipped")
        pytest.skip("no PostgreSQL server (set TEST_DATABASE_URL)")
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database(request, tmp_path_factory):
    """A database at the newest migration, made once per test session and backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        _migrate(f"sqlite:///{path}")
        yield ("sqlite", path)
    else:
        server = request.getfixturevalue("postgresql_server")
        with postgresql_database(server) as url:
            _migrate(url)
            yield ("postgresql", url)


@pytest.fixture
def database_url(migrated_database, tmp_path):
    backend, where = migrated_database
    if backend == "sqlite":
        path = tmp_path / "campaign.sqlite3"
        shutil.copyfile(where, path)
        yield f"sqlite:///{path}"
    else:
        yield where
        app = create_app(_config(where))
        with app.app_context():
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
            db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Runs each request as a real server would: in its own app context, session and ``g``.

    The test's own app context stays pushed for factories and queries; its transaction is
    ended around each request so the test sees what the request committed.
    """

    def open(self, *args, **kwargs):
        db.session.rollback()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            db.session.rollback()


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(_config(database_url))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories -----------------------------------------------------------------------------


@pytest.fixture
def make_organiser(app):
    counter = iter(range(1, 10_000))

    def make(**overrides):
        n = next(counter)
        values = {
            "email": f"organiser{n}@example.org",
            "password": PASSWORD,
            "display_name": f"Organiser {n}",
            "is_admin": False,
        }
        values.update(overrides)
        organiser = create_organiser(
            values["email"],
            values["password"],
            values["display_name"],
            is_admin=values["is_admin"],
        )
        db.session.commit()
        return organiser

    return make


@pytest.fixture
def make_campaign(app, make_organiser):
    counter = iter(range(1, 10_000))

    def make(admin=None, **overrides):
        n = next(counter)
        admin = admin or make_organiser(is_admin=True)
        details = CampaignDetails(
            name=f"Campaign {n}", slug=f"campaign-{n}", pledge="Stay calm. Never go alone."
        )
        for name, value in overrides.items():
            setattr(details, name, value)
        campaign = create_campaign(admin, details)
        db.session.commit()
        return campaign

    return make


def event_details(**overrides) -> EventDetails:
    start = (utcnow() + timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    local_start = start.replace(tzinfo=None)
    values = {
        "title": "I AM HAZARA at the town hall",
        "venue_type": VenueType.GOVERNMENT_ASSEMBLY,
        "venue_name": "Town Hall",
        "address": "1 Main Street",
        "city": "London",
        "country": "GB",
        "timezone": "UTC",
        "local_start": local_start,
        "local_end": local_start + timedelta(hours=2),
        "min_group_size": 3,
        "max_group_size": 8,
        "description": "Stand with us.",
    }
    values.update(overrides)
    return EventDetails(**values)


@pytest.fixture
def make_event(app, make_organiser, make_campaign):
    def make(campaign=None, organiser=None, status=EventStatus.PUBLISHED, **overrides):
        campaign = campaign or make_campaign()
        organiser = organiser or make_organiser()
        event = create_event(campaign, organiser, event_details(**overrides))
        admin = campaign.admins[0]
        if status is not EventStatus.DRAFT:
            submit_for_review(event, organiser)
        if status in (EventStatus.PUBLISHED, EventStatus.CANCELLED):
            publish_event(event, admin)
        if status is EventStatus.CANCELLED:
            cancel_event(event, organiser)
        db.session.commit()
        return event

    return make


# --- HTTP helpers --------------------------------------------------------------------------

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/auth/login")
    return client.post(
        "/auth/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def signed_in(client):
    def sign_in_as(organiser):
        response = sign_in(client, organiser.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in_as


@contextmanager
def count_queries():
    """Counts the SQL statements run inside the block: ``with count_queries() as n: ...``."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


def local_input(moment: datetime) -> str:
    """The value a datetime-local input sends."""
    return moment.strftime("%Y-%m-%dT%H:%M")
