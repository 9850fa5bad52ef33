"""One definition of a public event, in Python and in SQL (``Event.is_public``)."""

from sqlalchemy import select

from campaign.events.service import cancel_event
from campaign.extensions import db
from campaign.models import Event, EventStatus


def test_is_public_means_the_same_on_an_event_and_in_a_query(make_event):
    draft = make_event(status=EventStatus.DRAFT)
    pending = make_event(status=EventStatus.PENDING)
    published = make_event()
    cancelled_after_publication = make_event(status=EventStatus.CANCELLED)
    never_published = make_event(status=EventStatus.DRAFT)
    cancel_event(never_published, never_published.organiser)
    db.session.commit()
    events = [draft, pending, published, cancelled_after_publication, never_published]

    in_python = {event.id for event in events if event.is_public}
    in_sql = set(db.session.scalars(select(Event.id).where(Event.is_public)))
    assert in_python == in_sql == {published.id, cancelled_after_publication.id}
