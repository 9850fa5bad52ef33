"""Nothing left behind on SQLite: after ``flask purge`` the purged names, meeting points,
group names and contacts are in none of the database's files (database, -wal, -shm),
whatever this SQLite build does with deleted rows by default."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text

from campaign.extensions import db
from campaign.groups import service
from campaign.models import utcnow
from tests.factories import volunteer

PURGED = ["Zahra Qasimi", "Ali Rezaie", "Maryam Jafari"]
PURGED_MEETING_POINT = "Behind the fountain on Whitehall"
PURGED_GROUP_NAME = "Lions of Bamiyan"
KEPT = "Hussain Changezi"  # in an event not due yet: must still be there


def _ended(event, days_ago: int) -> None:
    length = event.ends_at - event.starts_at
    event.ends_at = utcnow() - timedelta(days=days_ago)
    event.starts_at = event.ends_at - length
    event.signup_deadline = None
    db.session.commit()


def _files(app) -> dict[str, bytes]:
    path = Path(db.engine.url.database)
    return {
        name: file.read_bytes() if file.exists() else b""
        for name, file in (
            ("database", path),
            ("-wal", path.with_name(path.name + "-wal")),
            ("-shm", path.with_name(path.name + "-shm")),
        )
    }


@pytest.mark.parametrize("migrated_database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("build_secure_delete", ["OFF", "ON"])
def test_purged_data_is_in_none_of_the_files(app, runner, make_event, build_secure_delete):
    # A SQLite built with another default: each new connection starts with this setting.
    def build_default(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA secure_delete={build_secure_delete}")

    sa_event.listen(db.engine, "connect", build_default, insert=True)
    db.session.remove()
    db.engine.dispose()

    event = make_event(min_group_size=3)
    leader = service.start_group(event, volunteer(display_name=PURGED[0]))
    for name in PURGED[1:]:
        service.join_group(leader.membership.group, volunteer(display_name=name))
    service.set_meeting(leader.membership, PURGED_MEETING_POINT, None)
    service.rename_group(leader.membership, PURGED_GROUP_NAME)
    db.session.commit()
    kept = make_event(campaign=event.campaign)
    service.start_group(kept, volunteer(display_name=KEPT))
    db.session.commit()
    # Half of it already in the database file, as after any checkpoint in between.
    db.session.execute(text("PRAGMA wal_checkpoint(PASSIVE)"))
    db.session.commit()
    _ended(event, days_ago=8)
    _ended(kept, days_ago=2)
    db.session.remove()

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 events, 3 volunteers' personal data." in result.output

    files = _files(app)
    assert KEPT.encode() in files["database"] + files["-wal"]  # the search can find text
    for name, content in files.items():
        for value in [*PURGED, PURGED_MEETING_POINT, PURGED_GROUP_NAME]:
            assert value.encode() not in content, f"{value!r} in {name}"
    assert files["-wal"] == b""  # emptied
    assert db.session.execute(text("PRAGMA secure_delete")).scalar() == 1


@pytest.mark.parametrize("migrated_database", ["sqlite"], indirect=True)
def test_purge_says_so_when_the_log_cannot_be_emptied(runner, monkeypatch):
    from campaign.groups import retention

    monkeypatch.setattr(retention, "empty_write_ahead_log", lambda: False)
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 1
    assert "Run purge again in a minute." in result.output
