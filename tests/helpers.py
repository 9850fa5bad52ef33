"""Helpers shared by the tests: forms with their CSRF token, signing in, counting SQL,
racing threads, free ports and empty databases for servers started by a test. A pytest
plugin (``pytest_plugins`` in tests/conftest.py): its fixtures are available everywhere;
the functions are imported from here.
"""

import contextvars
import os
import re
import shutil
import socket
import threading
from contextlib import contextmanager
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event

from campaign.extensions import db
from tests.databases import postgresql_database
from tests.factories import PASSWORD

# --- requests ------------------------------------------------------------------------------


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


# --- forms and signing in ------------------------------------------------------------------

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def submit(client, url: str, fields: dict, *, form_from: str | None = None):
    """POST ``fields`` to ``url`` with the CSRF token of the page ``form_from`` (default:
    ``url``), as a browser sends the form it was shown."""
    return client.post(url, data={"csrf_token": csrf_token(client, form_from or url), **fields})


def join_by_form(client, ref: str, contact: str, name: str = "Maryam", mode: str = "new") -> str:
    """Join event ``ref`` through its form as a browser does; returns the member token."""
    url = f"/e/{ref}/join"
    fields = {"display_name": name, "contact": contact, "pledge": "y", "mode": mode}
    answer = submit(client, url, fields)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.location.rsplit("/me/", 1)[1]


def sign_in(client, email: str, password: str = PASSWORD):
    return submit(client, "/auth/login", {"email": email, "password": password})


@pytest.fixture
def signed_in(client):
    def sign_in_as(organiser):
        response = sign_in(client, organiser.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in_as


def local_input(moment: datetime) -> str:
    """The value a datetime-local input sends."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def event_form(campaign_id: int, start: datetime, end: datetime, **overrides: str) -> dict:
    """The new/edit event form's fields as an organiser fills them in (no CSRF token):
    the Reichstag in Berlin, local times ``start`` to ``end``."""
    return {
        "campaign": str(campaign_id),
        "title": "I AM HAZARA at the Reichstag",
        "venue_type": "government_assembly",
        "venue_name": "Reichstag building",
        "address": "Platz der Republik 1",
        "city": "Berlin",
        "country": "DE",
        "latitude": "52.5186",
        "longitude": "13.3762",
        "timezone": "Europe/Berlin",
        "local_start": local_input(start),
        "local_end": local_input(end),
        "local_signup_deadline": "",
        "min_group_size": "3",
        "max_group_size": "8",
        "description": "Bring water.",
        **overrides,
    }


# --- SQL -----------------------------------------------------------------------------------


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


# --- races ---------------------------------------------------------------------------------


def race(
    app,
    work,
    *,
    threads: int,
    refusals: tuple[type[Exception], ...],
    done=None,
    commit_refused: bool = True,
) -> list:
    """Run ``work(i)`` in ``threads`` threads released at once, each in its own app context
    and transaction, ended as the view does: committed when it succeeded; when refused,
    committed too (what a refusal counted stays) or, with ``commit_refused=False``, rolled
    back.

    Each thread's outcome: ``done`` when it succeeded, the ``code`` of a refusal (one of
    ``refusals``), or ``"crash: …"`` for anything else."""
    barrier = threading.Barrier(threads)
    outcomes: list = []

    def run(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                try:
                    work(i)
                except refusals as error:
                    if commit_refused:
                        db.session.commit()
                    else:
                        db.session.rollback()
                    outcomes.append(error.code)
                else:
                    db.session.commit()
                    outcomes.append(done)
            except Exception as error:  # a crash is an outcome to count
                db.session.rollback()
                outcomes.append(f"crash: {error!r}")
            finally:
                db.session.remove()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    db.session.rollback()
    return outcomes


# --- browsers ------------------------------------------------------------------------------

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


# --- servers -------------------------------------------------------------------------------

#: Ports below Linux's ephemeral range (32768-60999), so the kernel never hands one out
#: for a client connection or a bind to port 0; each xdist worker has its own block.
_PORT_BLOCK = 1000
_ports = None


def _worker_number() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def free_port() -> int:
    """A loopback port nobody listens on, from this worker's own block: two xdist workers
    never pick the same port, and this worker does not reuse one until it has tried the
    others of its block."""
    global _ports
    if _ports is None:
        first = 20000 + (_worker_number() % 12) * _PORT_BLOCK
        start = os.getpid() % _PORT_BLOCK
        _ports = ((first + (start + n) % _PORT_BLOCK) for n in range(10**9))
    for port in _ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


@pytest.fixture
def empty_database_url(request, tmp_path):
    """An empty database for a server a test starts: SQLite unless the test asks for both
    (``@pytest.mark.parametrize("empty_database_url", BACKENDS, indirect=True)``)."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        with postgresql_database(request.getfixturevalue("postgresql_server")) as url:
            yield url


def tool(name: str, package: str) -> str:
    """The path of a program a test needs; skipped when missing (a failure under CI)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not installed (Debian package {package}; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
