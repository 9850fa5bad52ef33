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


def _immediate() -> bool:
    return bool(db.session.connection().info.get("sqlite_immediate"))


def test_a_read_transaction_is_restarted_as_a_writer(sqlite_only, make_campaign):
    make_campaign()
    db.session.scalar(select(Campaign))
    assert not _immediate()
    begin_write()
    assert _immediate()
    begin_write()  # idempotent
    assert _immediate()


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
