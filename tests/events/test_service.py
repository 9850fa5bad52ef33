from datetime import UTC, datetime, timedelta

import pytest

from campaign.access import NotAllowed
from campaign.events import service
from campaign.models import EventStatus, utcnow
from tests.factories import event_details


def _next_spring_forward_in_london() -> datetime:
    """01:30 on the last Sunday of March next year: a time that does not exist in London."""
    year = utcnow().year + 1
    day = datetime(year, 3, 31)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    return day.replace(hour=1, minute=30)


def test_times_are_stored_in_utc(make_campaign, make_organiser):
    local = (utcnow() + timedelta(days=30)).replace(
        tzinfo=None, hour=11, minute=0, second=0, microsecond=0
    )
    event = service.create_event(
        make_campaign(),
        make_organiser(),
        event_details(
            timezone="Asia/Kabul", local_start=local, local_end=local + timedelta(hours=2)
        ),
    )
    assert event.starts_at == (local - timedelta(hours=4, minutes=30)).replace(tzinfo=UTC)
    assert event.local_start.replace(tzinfo=None) == local
    assert event.status is EventStatus.DRAFT


def test_all_problems_are_reported_at_once(make_campaign, make_organiser):
    past = (utcnow() - timedelta(days=1)).replace(tzinfo=None)
    with pytest.raises(service.EventError) as error:
        service.create_event(
            make_campaign(),
            make_organiser(),
            event_details(
                local_start=past,
                local_end=past - timedelta(hours=1),
                min_group_size=2,
                latitude=95.0,
                longitude=0.0,
            ),
        )
    assert set(error.value.codes) == {
        "start_in_past",
        "end_before_start",
        "min_group_too_small",
        "latitude_out_of_range",
    }


def test_a_time_skipped_by_daylight_saving_is_refused(make_campaign, make_organiser):
    gap = _next_spring_forward_in_london()
    with pytest.raises(service.EventError) as error:
        service.create_event(
            make_campaign(),
            make_organiser(),
            event_details(
                timezone="Europe/London", local_start=gap, local_end=gap + timedelta(hours=2)
            ),
        )
    assert error.value.problems == [("local_start", "nonexistent_local_time")]


def test_lifecycle(make_event, make_organiser):
    event = make_event(status=EventStatus.DRAFT)
    owner, admin = event.organiser, event.campaign.admins[0]
    with pytest.raises(service.EventError):
        service.publish_event(event, admin)  # a draft must be submitted first
    service.submit_for_review(event, owner)
    assert event.status is EventStatus.PENDING
    with pytest.raises(NotAllowed) as error:
        service.publish_event(event, owner)  # organisers cannot vouch for themselves
    assert error.value.codes == ["not_allowed"]
    service.publish_event(event, admin)
    assert event.status is EventStatus.PUBLISHED and event.published_at is not None
    assert event.is_public
    service.cancel_event(event, owner)
    assert event.status is EventStatus.CANCELLED
    assert event.revision == 1
    with pytest.raises(service.EventError) as error:
        service.update_event(event, owner, event_details())
    assert error.value.codes == ["event_cancelled"]


def test_editing_a_published_event_bumps_its_revision(make_event):
    event = make_event()
    owner = event.organiser
    assert event.revision == 0
    assert service.update_event(event, owner, event_details(title="A new title")) is True
    assert event.revision == 1
    assert service.update_event(event, owner, event_details(title="A new title")) is False
    assert event.revision == 1


def test_editing_a_draft_keeps_revision_zero(make_event):
    event = make_event(status=EventStatus.DRAFT)
    service.update_event(event, event.organiser, event_details(title="Changed"))
    assert event.revision == 0


def test_only_the_owner_or_a_campaign_admin_may_edit(make_event, make_organiser):
    event = make_event()
    stranger = make_organiser()
    with pytest.raises(NotAllowed) as error:
        service.update_event(event, stranger, event_details(title="Hijacked"))
    assert error.value.codes == ["not_allowed"]
    service.update_event(event, event.campaign.admins[0], event_details(title="Fixed by admin"))
    assert event.title == "Fixed by admin"


def test_an_event_that_started_can_still_be_edited_without_moving_it(make_event):
    event = make_event()
    event.starts_at = utcnow() - timedelta(minutes=5)
    event.ends_at = utcnow() + timedelta(hours=1)
    local = event.local_start.replace(tzinfo=None)
    details = event_details(
        timezone=event.timezone,
        local_start=local,
        local_end=event.local_end.replace(tzinfo=None),
        description="Running late? Call your leader.",
    )
    assert service.update_event(event, event.organiser, details)


def test_only_an_admin_may_move_a_published_event(make_event):
    """An approved event moved somewhere unchecked would be a trap."""
    event = make_event()
    owner, admin = event.organiser, event.campaign.admins[0]
    later = event.local_start.replace(tzinfo=None) + timedelta(hours=3)
    moves = {
        "venue_name": {"venue_name": "A dark car park"},
        "address": {"address": "Behind the station"},
        "city": {"city": "Leeds"},
        "country": {"country": "IE"},
        "latitude": {"latitude": 51.5, "longitude": -0.1},
        "local_start": {"local_start": later, "local_end": later + timedelta(hours=2)},
    }
    for field, change in moves.items():
        with pytest.raises(service.EventError) as error:
            service.update_event(event, owner, event_details(**change))
        assert (field, "place_time_needs_admin") in error.value.problems
    assert event.venue_name == "Town Hall" and event.revision == 0
    # Everything else the owner may still change, and the campaign admin may move it.
    assert service.update_event(event, owner, event_details(description="Bring water."))
    assert service.update_event(event, admin, event_details(city="Leeds", description="Moved."))
    assert event.city == "Leeds" and event.revision == 2
    # Before publication the owner may change everything: an admin checks it at review.
    draft = make_event(status=EventStatus.DRAFT)
    assert service.update_event(draft, draft.organiser, event_details(city="Leeds"))


def test_the_maximum_group_size_never_drops_below_a_group(make_event):
    from campaign.groups.service import Volunteer, join_group, start_group

    event = make_event(max_group_size=6)
    group = start_group(
        event, Volunteer("V0", "v0@example.org", pledge_accepted=True)
    ).membership.group
    for n in range(1, 5):
        join_group(group, Volunteer(f"V{n}", f"v{n}@example.org", pledge_accepted=True))
    assert service.largest_group_size(event) == 5
    with pytest.raises(service.EventError) as error:
        service.update_event(event, event.organiser, event_details(max_group_size=4))
    assert error.value.problems == [("max_group_size", "max_below_largest_group")]
    assert event.max_group_size == 6
    assert service.update_event(event, event.organiser, event_details(max_group_size=5))
    assert event.max_group_size == 5


def test_an_organisers_text_change_goes_back_to_the_admins(make_event, make_organiser):
    from campaign.events.queries import changed_since_review, pending_review_count

    event = make_event(description="Stand with us.")
    owner, admin = event.organiser, event.campaign.admins[0]
    assert (event.reviewed_title, event.reviewed_description) == (event.title, "Stand with us.")
    assert event.changed_since_review_at is None
    service.update_event(event, owner, event_details(description="Meet instead at the car park."))
    assert event.changed_since_review_at is not None
    assert changed_since_review(admin) == [event]
    assert pending_review_count(admin) == 1
    assert changed_since_review(make_organiser()) == []  # not their campaign
    # The owner cannot vouch for their own change; the admin can.
    with pytest.raises(NotAllowed):
        service.accept_changes(event, owner)
    service.accept_changes(event, admin)
    assert event.reviewed_description == "Meet instead at the car park."
    assert changed_since_review(admin) == [] and pending_review_count(admin) == 0
    with pytest.raises(service.EventError):
        service.accept_changes(event, admin)  # nothing left to accept
    # Changed and changed back to what was vouched for: nothing to review.
    service.update_event(event, owner, event_details(title="Another title"))
    assert event.changed_since_review_at is not None
    service.update_event(event, owner, event_details(description="Meet instead at the car park."))
    assert event.changed_since_review_at is None
    # The admin's own edits are vouched for; so are a draft's (reviewed at publication).
    service.update_event(event, admin, event_details(description="Bring water."))
    assert event.changed_since_review_at is None and event.reviewed_description == "Bring water."
    draft = make_event(status=EventStatus.DRAFT)
    service.update_event(draft, draft.organiser, event_details(description="Changed"))
    assert draft.changed_since_review_at is None


def test_only_listed_zones_and_trimmed_texts_are_stored(make_campaign, make_organiser):
    """What the edit form can show again: posted back unchanged, it changes nothing."""
    with pytest.raises(service.EventError) as error:
        service.create_event(
            make_campaign(), make_organiser(), event_details(timezone="US/Eastern")
        )
    assert error.value.problems == [("timezone", "unknown_timezone")]
    event = service.create_event(
        make_campaign(), make_organiser(), event_details(title="  Vigil ", city=" Leeds\n")
    )
    assert (event.title, event.city) == ("Vigil", "Leeds")


def test_publishing_needs_the_event_as_the_admin_saw_it(make_event):
    event = make_event(status=EventStatus.PENDING)
    admin = event.campaign.admins[0]
    seen = service.review_fingerprint(event)
    service.update_event(event, event.organiser, event_details(address="Behind the station"))
    with pytest.raises(service.EventError) as error:
        service.publish_event(event, admin, seen=seen)
    assert error.value.codes == ["changed_while_reviewing"]
    assert event.status is EventStatus.PENDING
    service.publish_event(event, admin, seen=service.review_fingerprint(event))
    assert event.status is EventStatus.PUBLISHED
