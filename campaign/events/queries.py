"""Read-only queries for event pages: each page's events in one query."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from campaign.access import administered_by
from campaign.extensions import db
from campaign.lookup import event_by_ref as event_by_ref
from campaign.models import Event, EventStatus, Organiser


def events_of(organiser: Organiser) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.organiser_id == organiser.id)
            .order_by(Event.starts_at.desc(), Event.id.desc())
        )
    )


def pending_review(organiser: Organiser) -> list[Event]:
    """Events waiting for a campaign admin, in the campaigns this organiser administers."""
    query = (
        select(Event)
        .where(Event.status == EventStatus.PENDING)
        .options(selectinload(Event.organiser))
    )
    query = administered_by(query, organiser)
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id)))


def changed_since_review(organiser: Organiser) -> list[Event]:
    """Published events whose organiser changed the title or description since an admin of
    the campaign vouched for them, in the campaigns this organiser administers."""
    query = (
        select(Event)
        .where(Event.status == EventStatus.PUBLISHED, Event.changed_since_review_at.is_not(None))
        .options(selectinload(Event.organiser))
    )
    query = administered_by(query, organiser)
    return list(db.session.scalars(query.order_by(Event.changed_since_review_at, Event.id)))


def pending_review_count(organiser: Organiser) -> int:
    """Events waiting for review, and published events changed since they were reviewed."""
    waiting = (Event.status == EventStatus.PENDING) | (
        (Event.status == EventStatus.PUBLISHED) & Event.changed_since_review_at.is_not(None)
    )
    query = select(func.count(Event.id)).where(waiting)
    query = administered_by(query, organiser)
    return db.session.scalar(query) or 0
