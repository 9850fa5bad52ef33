"""begin_write: SQLite writers start with BEGIN IMMEDIATE, whatever was read before."""

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.models import Campaign
from campaign.transactions import begin_write


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite transaction modes")


def _another_writer_is_locked_out() -> bool:
    """Whether a second connection trying to write meets the session's write lock (it
    gives up after 0.1 s and writes nothing either way)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    other = create_engine(str(db.engine.url), connect_args={"timeout": 0.1})
    try:
        with other.connect() as connection:
            connection.exec_driver_sql("UPDATE campaign SET name = name")
            connection.rollback()
        return False
    except OperationalError as error:
        assert "database is locked" in str(error), error
        return True
    finally:
        other.dispose()


def test_a_read_transaction_is_restarted_as_a_writer(sqlite_only, make_campaign):
    make_campaign()
    db.session.scalar(select(Campaign))
    assert not _another_writer_is_locked_out()  # a reader holds no write lock
    begin_write()
    assert _another_writer_is_locked_out()  # BEGIN IMMEDIATE: the lock is taken at once
    begin_write()  # idempotent: the same transaction keeps the lock
    assert _another_writer_is_locked_out()
    db.session.commit()
    assert not _another_writer_is_locked_out()


def test_a_transaction_that_wrote_keeps_its_work(sqlite_only, make_campaign):
    campaign = make_campaign(name="Before")
    campaign.name = "After"
    begin_write()  # flushes the change; the transaction now holds the write lock
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.name)) == "After"


def test_release_lock_keeps_flushed_work(app, make_campaign):
    """Ending a transaction before slow work never throws away what was written."""
    from campaign.transactions import release_lock

    campaign = make_campaign(name="Before")
    campaign.name = "Flushed"
    db.session.flush()
    release_lock()
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Campaign.name)) == "Flushed"


def test_release_lock_frees_sqlite_for_other_writers(sqlite_only, make_campaign):
    from sqlalchemy import create_engine

    from campaign.transactions import release_lock

    make_campaign()
    begin_write()
    db.session.scalar(select(Campaign))
    release_lock()
    other = create_engine(str(db.engine.url), connect_args={"timeout": 0.1})
    with other.connect() as connection:
        connection.exec_driver_sql("UPDATE campaign SET name = name")  # not locked out
        connection.commit()
    other.dispose()
