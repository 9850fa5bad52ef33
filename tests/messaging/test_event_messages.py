"""An event's time or place changed, or the event was cancelled: every verified member of
its groups is told, once per change (or once at all), in their language."""

from datetime import timedelta

from campaign.events.service import cancel_event, update_event
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.messaging.schedule import plan_due
from campaign.models import Channel, EventStatus, utcnow
from tests.factories import event_details, volunteer
from tests.messaging.recorded import recipients, recorded, text_of


def _details(event, **overrides):
    """The event's details as its edit form would send them, with ``overrides``."""
    values = {
        "title": event.title,
        "venue_name": event.venue_name,
        "local_start": event.local_start.replace(tzinfo=None),
        "local_end": event.local_end.replace(tzinfo=None),
        "description": event.description,
    }
    values.update(overrides)
    return event_details(**values)


def _verified_ids(group) -> set[int]:
    return {m.id for m in group.members if m.verified_at is not None}


def test_a_new_time_tells_every_verified_member_once_per_change(make_event, make_group):
    event = make_event()
    a, b = make_group(event, 3), make_group(event, 2)
    b.members[1].verified_at = None  # still confirming: told nothing
    db.session.commit()
    admin = event.campaign.admins[0]
    later = event.local_start.replace(tzinfo=None) + timedelta(hours=1)

    update_event(
        event, admin, _details(event, local_start=later, local_end=later + timedelta(hours=2))
    )
    db.session.commit()
    assert recipients("event_changed") == _verified_ids(a) | _verified_ids(b)
    assert len(recorded("event_changed")) == 4
    assert all(m.key.endswith(f":{event.revision}") for m in recorded("event_changed"))

    update_event(event, admin, _details(event, venue_name="The Square"))
    db.session.commit()
    assert len(recorded("event_changed")) == 8
    sms = recorded("event_changed")[-1]
    assert sms.channel is Channel.SMS
    assert "The Square" in text_of(sms).text


def test_a_new_description_is_no_change_of_time_or_place(make_event, make_group):
    event = make_event()
    make_group(event, 3)
    update_event(event, event.campaign.admins[0], _details(event, description="Bring water."))
    db.session.commit()
    assert event.revision == 1
    assert recorded("event_changed") == []


def test_the_change_is_written_in_the_members_language(make_event, make_group):
    event = make_event()
    group = make_group(event, 3)
    group.members[0].language = "fa"
    db.session.commit()
    later = event.local_start.replace(tzinfo=None, hour=15)
    update_event(
        event,
        event.campaign.admins[0],
        _details(event, local_start=later, local_end=later + timedelta(hours=1)),
    )
    db.session.commit()
    by_member = {m.membership_id: m for m in recorded("event_changed")}
    persian = by_member[group.members[0].id]
    assert persian.language == "fa"
    assert "\u06f1\u06f5:\u06f0\u06f0" in text_of(persian).text  # 15:00 in Persian digits
    assert "15:00" in text_of(by_member[group.members[1].id]).text


def test_cancelling_tells_each_member_once_and_stops_the_reminders(make_event, make_group):
    event = make_event()
    group = make_group(event, 3)
    group.meeting_point = "Behind the old fountain"
    group.members[2].messages_stopped_at = utcnow()
    db.session.commit()
    cancel_event(event, event.organiser)
    db.session.commit()
    assert event.status is EventStatus.CANCELLED
    assert recipients("cancelled") == {group.members[0].id, group.members[1].id}
    for message in recorded("cancelled"):
        text = text_of(message).text
        assert "cancelled" in text
        assert "fountain" not in text
        assert not [m.display_name for m in group.members if m.display_name in text]
    assert plan_due(event.starts_at - timedelta(hours=20)) == 0
    assert plan_due(event.ends_at + timedelta(hours=2)) == 0


def test_cancelling_a_draft_tells_nobody(make_event):
    event = make_event(status=EventStatus.DRAFT)
    cancel_event(event, event.organiser)
    db.session.commit()
    assert recorded("cancelled") == []


def test_an_email_member_reads_the_new_time_and_place(make_event):
    event = make_event()
    member = groups.start_group(event, volunteer(contact="ann@example.org")).membership
    db.session.commit()
    update_event(event, event.campaign.admins[0], _details(event, venue_name="The Square"))
    db.session.commit()
    (message,) = recorded("event_changed")
    assert message.membership_id == member.id
    assert message.channel is Channel.EMAIL
    rendered = text_of(message)
    assert event.title in rendered.subject
    assert "The Square" in rendered.text
    assert rendered.unsubscribe_url and rendered.unsubscribe_url in rendered.text
