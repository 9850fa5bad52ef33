"""Every file the app creates in its instance folder is 0600, every folder 0700: the
database and its -wal/-shm (made by SQLite), the keys, the feed cache."""

import os
import re
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.load import create_event
from campaign import create_app
from campaign.extensions import db
from tests.served import Browser, LoggedServer

ME_LINK = re.compile(r"/me/([A-Za-z0-9_-]{32,})")


@contextmanager
def usual_umask():
    """The umask a server usually starts with (processes started meanwhile inherit it);
    the test process's own is put back afterwards."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(folder: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_a_served_instance_is_private(tmp_path):
    instance = tmp_path / "instance"
    database = instance / "campaign.sqlite3"
    url = f"sqlite:///{database}"
    with usual_umask():
        ref = create_event(url, instance)  # migrates: creates the folder, keys and database
        server = LoggedServer(url, instance, workers=1, log=tmp_path / "gunicorn.log").start()
    try:
        volunteer = Browser(server.base)
        data = {"display_name": "Zahra", "contact": "+12015550147", "pledge": "y", "mode": "new"}
        answer = volunteer.post(f"/e/{ref}/join", data)
        assert answer[0] == 302, answer[2][:500]
        token = ME_LINK.search(answer[1]["Location"]).group(1)
        assert volunteer.get(f"/me/{token}")[0] == 200
        assert volunteer.get(f"/me/{token}/calendar.ics")[0] == 200
        assert volunteer.get("/c/load/calendar.ics")[0] == 200  # writes the feed cache
    finally:
        server.stop()
    found = modes(instance)
    for name in ("campaign.sqlite3", "campaign.sqlite3-wal", "secret_key", "contact_hash_key"):
        assert name in found
    # (today the feed is also cached in instance/feeds/: its files are checked below too)
    wrong = {
        name: oct(mode)
        for name, mode in found.items()
        if mode != (0o700 if (instance / name).is_dir() else 0o600)
    }
    assert wrong == {}


@pytest.fixture
def restore_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_without_the_umask_the_folder_database_and_keys_are_still_private(
    tmp_path, monkeypatch, restore_umask
):
    """PRIVATE_FILES_UMASK = None: the process's umask is left alone (an embedding host's
    choice), and what the factory creates is private all the same."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(instance))
    app = create_app({"TESTING": True, "PRIVATE_FILES_UMASK": None})
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x)"))
        db.session.commit()
        assert os.umask(0o022) == 0o022  # untouched
        found = modes(instance)
        db.engine.dispose()
    assert {"campaign.sqlite3", "campaign.sqlite3-wal", "campaign.sqlite3-shm"} <= set(found)
    assert found == {".": 0o700, **{name: 0o600 for name in found if name != "."}}
