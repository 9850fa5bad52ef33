"""Temporary failures (a lock not had in time, the database gone, a full disk) answer 503
"busy, try again" with Retry-After and the styled page, and save nothing; real faults stay
500s. Key rotation works in batches that each take the write lock first."""

import threading
import time

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.exc import OperationalError

from campaign import create_app, crypto
from campaign.extensions import db, limiter
from campaign.groups import service
from campaign.models import Event, Membership
from tests.databases import app_config
from tests.factories import volunteer
from tests.helpers import IsolatedClient, csrf_token

# Lock and pool timeouts of a few hundred milliseconds: one at a time, in one xdist worker.
pytestmark = pytest.mark.xdist_group("timing")


@pytest.fixture
def impatient_app(database_url, tmp_path, monkeypatch):
    """The app with short lock waits, so a held lock is met within the test."""
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            **app_config(database_url),
            "SQLITE_BUSY_TIMEOUT_MS": 300,
            "DATABASE_LOCK_TIMEOUT_MS": 300,
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _join_form(client, ref: str) -> dict:
    return {
        "csrf_token": csrf_token(client, f"/e/{ref}/join"),
        "display_name": "Ahmad",
        "contact": "+12015550199",
        "pledge": "y",
        "mode": "any",
    }


def _members() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Membership.id)))


def _assert_busy(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    page = response.get_data(as_text=True)
    assert "Nothing you sent was saved" in page
    assert "Content-Security-Policy" in response.headers  # the styled page, with headers


def test_a_join_that_cannot_get_the_lock_is_told_to_retry(impatient_app, make_event):
    event = make_event()
    ref, event_id = event.ref, event.id
    db.session.commit()
    client = impatient_app.test_client()
    form = _join_form(client, ref)
    # Another transaction holds the event's sign-up lock for longer than the app waits.
    holder = create_engine(impatient_app.config["SQLALCHEMY_DATABASE_URI"])
    with holder.connect() as other:
        if holder.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # Released by the server after 15 s whatever happens: without the app's lock
            # timeout the join would otherwise wait for it forever (the fault this guards).
            other.execute(text("SET idle_in_transaction_session_timeout = 15000"))
            other.execute(text("SELECT id FROM event WHERE id = :i FOR UPDATE"), {"i": event_id})
        busy = client.post(f"/e/{ref}/join", data=form)
        readable = client.get(f"/e/{ref}")  # readers are not held up by a writer
        other.rollback()
    holder.dispose()
    _assert_busy(busy)
    assert readable.status_code == 200
    assert _members() == 0
    again = client.post(f"/e/{ref}/join", data=form)  # the same press, a moment later
    assert again.status_code == 302 and "/me/" in again.headers["Location"]
    assert _members() == 1


def test_the_database_unreachable_is_a_503_not_a_500(tmp_path, monkeypatch, postgresql_server):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    urls = [
        f"sqlite:///{tmp_path / 'no-such-folder' / 'campaign.sqlite3'}",
        "postgresql+psycopg://nobody@127.0.0.1:9/campaign?connect_timeout=2",
    ]
    for url in urls:
        app = create_app({**app_config(url), "SQLALCHEMY_ENGINE_OPTIONS": {}})
        for path in ("/", "/c/anything", "/e/ABCDEF"):
            _assert_busy(app.test_client().get(path))


def test_a_full_disk_is_a_503_and_nothing_is_half_written(impatient_app, make_event, monkeypatch):
    event = make_event()
    ref = event.ref
    db.session.commit()
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's own 'database or disk is full' (PostgreSQL: 53100, same class)")
    client = impatient_app.test_client()
    form = _join_form(client, ref)
    db.session.execute(text("CREATE TABLE filler (x BLOB)"))
    db.session.commit()
    pages = db.session.execute(text("PRAGMA page_count")).scalar()
    db.session.rollback()

    def no_room(dbapi_connection, _record):
        # The file may not grow: SQLite answers SQLITE_FULL, as on a full disk.
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    with impatient_app.app_context():
        engine = db.engine  # the engine the client's requests use
    engine.dispose()
    sa_event.listen(engine, "connect", no_room)
    try:
        with engine.connect() as filler:  # use up the free pages the file still has
            with pytest.raises(OperationalError, match="full"):
                for _ in range(10_000):
                    filler.exec_driver_sql("INSERT INTO filler VALUES (randomblob(512))")
            filler.commit()
        # Joins still fit in the pages' free space for a while; then one meets the wall.
        monkeypatch.setattr(limiter, "enabled", False)
        joined = 0
        for n in range(300):
            contact = {"contact": f"+1201555{n:04d}", "mode": "new"}
            response = client.post(f"/e/{ref}/join", data={**form, **contact})
            if response.status_code != 302:
                break
            joined = n + 1
    finally:
        sa_event.remove(engine, "connect", no_room)
        engine.dispose()
    _assert_busy(response)
    assert _members() == joined  # the refused join left nothing behind


def test_a_real_fault_is_still_a_500(app, monkeypatch):
    from campaign.campaigns import views

    def broken(*_args, **_kwargs):
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(views, "render_template", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def test_a_get_view_that_writes_unmarked_fails_its_tests(app, make_event):
    """The guard that keeps the one write-lock rule honest (SQLite)."""
    from campaign.transactions import ReadTransactionWrote

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's lock modes")
    event = make_event()
    db.session.commit()

    @app.get("/test-writes-unmarked")
    def writes_unmarked():
        db.session.get(Event, event.id).description = "changed by a GET"
        db.session.commit()
        return "done"

    with pytest.raises(ReadTransactionWrote):
        app.test_client().get("/test-writes-unmarked")


def test_key_rotation_goes_on_beside_a_busy_writer(app, runner, make_event, monkeypatch):
    """Rotation in batches, each taking the lock first, while another writer commits every
    few milliseconds: no 'database is locked', every contact readable with the new key."""
    event = make_event(max_group_size=8)
    monkeypatch.setattr("campaign.cli.ROTATE_BATCH", 40)
    for _ in range(25):  # 200 contacts: five batches
        group = service.start_group(event, volunteer()).membership.group
        for _ in range(7):
            service.join_group(group, volunteer())
        db.session.commit()
    total = _members()
    old_keys = crypto.keys_from_config(app.config["CONTACT_ENCRYPTION_KEYS"])
    new_key = Fernet.generate_key()
    app.config["CONTACT_ENCRYPTION_KEYS"] = [new_key, *old_keys]
    crypto.init_app(app)
    db.session.remove()

    stop, commits = threading.Event(), []
    writer_engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    immediate = "BEGIN IMMEDIATE" if writer_engine.dialect.name == "sqlite" else "BEGIN"

    def busy_writer():
        with writer_engine.connect() as connection:
            while not stop.is_set():
                raw = connection.connection.driver_connection
                if writer_engine.dialect.name == "sqlite":
                    raw.isolation_level = None
                    raw.execute(immediate)
                    raw.execute("UPDATE campaign SET name = name")
                    raw.execute("COMMIT")
                else:
                    connection.execute(text("UPDATE campaign SET name = name"))
                    connection.commit()
                commits.append(1)
                time.sleep(0.005)

    rotate = crypto.rotate

    def slow_rotate(token: str) -> str:
        time.sleep(0.001)  # as with a large campaign: the writer commits between batches
        return rotate(token)

    monkeypatch.setattr(crypto, "rotate", slow_rotate)
    writer = threading.Thread(target=busy_writer)
    writer.start()
    try:
        result = runner.invoke(args=["rotate-contact-key"])
    finally:
        stop.set()
        writer.join()
        writer_engine.dispose()
    assert result.exit_code == 0, result.output
    assert f"Re-encrypted {total} contacts" in result.output
    assert commits  # the other writer really wrote meanwhile
    raw = list(db.session.scalars(text("SELECT contact FROM membership")))
    assert len(raw) == total
    assert all(Fernet(new_key).decrypt(value.encode()) for value in raw)
