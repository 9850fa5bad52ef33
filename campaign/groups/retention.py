"""Retention: some days after an event ends, its volunteers' personal data is deleted.

Names, contacts, check-in and "home safe" times, group names and meeting points go; the
event keeps anonymous counts (groups, volunteers, checked in, home safe). Safe to run from
cron at any time: an event is purged once, and running again finds nothing to do.

On SQLite the deleted values must also leave the files: deleted rows are zeroed
(``secure_delete``, set on every connection) and, after a purge, the write-ahead log is
copied into the database and emptied (:func:`empty_write_ahead_log`).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, func, select

from campaign.extensions import db
from campaign.models import Campaign, DepartedLink, Event, Group, GroupActivity, Membership, utcnow


@dataclass
class PurgeReport:
    events: list[str] = field(default_factory=list)
    volunteers: int = 0


def due_for_purge(now: datetime) -> list[Event]:
    """Ended events past their campaign's retention period, not purged yet."""
    due: list[Event] = []
    for campaign in db.session.scalars(select(Campaign)):
        cutoff = now - timedelta(days=campaign.retention_days)
        due += db.session.scalars(
            select(Event)
            .where(
                Event.campaign_id == campaign.id,
                Event.purged_at.is_(None),
                Event.ends_at < cutoff,
            )
            .order_by(Event.id)
        )
    return due


def purge_event(event: Event, now: datetime) -> int:
    """Delete one ended event's personal data, keeping counts; returns volunteers removed."""
    in_event = Membership.event_id == event.id
    counts = db.session.execute(
        select(
            func.count(Membership.id),
            func.count(Membership.checked_in_at),
            func.count(Membership.home_safe_at),
            func.count(func.distinct(Membership.group_id)),
        ).where(in_event)
    ).one()
    volunteers, checked_in, home_safe, groups = counts
    group_ids = select(Group.id).where(Group.event_id == event.id).scalar_subquery()
    db.session.execute(delete(GroupActivity).where(GroupActivity.group_id.in_(group_ids)))
    db.session.execute(delete(Membership).where(in_event))
    db.session.execute(delete(DepartedLink).where(DepartedLink.event_id == event.id))
    db.session.execute(
        cast(Table, Group.__table__)
        .update()
        .where(Group.event_id == event.id)
        .values(name="", meeting_point="", meeting_at=None)
    )
    event.purged_at = now
    event.purged_groups = groups
    event.purged_volunteers = volunteers
    event.purged_checked_in = checked_in
    event.purged_home_safe = home_safe
    db.session.flush()
    return volunteers


def purge(now: datetime | None = None) -> PurgeReport:
    """Purge every event that is due. The caller commits."""
    now = now or utcnow()
    report = PurgeReport()
    for event in due_for_purge(now):
        report.volunteers += purge_event(event, now)
        report.events.append(event.ref)
    return report


def empty_write_ahead_log() -> bool:
    """On SQLite, copy the write-ahead log into the database and cut it to nothing, so that
    old copies of purged pages are gone from the -wal file too. True when done (or not
    SQLite); False when readers kept the log busy beyond the busy timeout.

    Call after the purge is committed. Runs on a connection of its own, outside any
    transaction (a checkpoint cannot run inside one).
    """
    if db.engine.dialect.name != "sqlite":
        return True
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return busy == 0
