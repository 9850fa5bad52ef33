"""Cancelling asks first, on its own page, and asks why: the members read the reason on
their pages and in the message, and their pages stop recruiting."""

from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import Channel, EventStatus
from tests.factories import volunteer
from tests.helpers import csrf_token
from tests.messaging.recorded import recorded, text_of

REASON = "The square is closed by the police; we will choose a new date."


def _cancel(client, event, **data):
    token = csrf_token(client, f"/organise/events/{event.ref}/cancel")
    return client.post(f"/organise/events/{event.ref}/cancel", data={"csrf_token": token, **data})


def test_one_tap_no_longer_cancels(client, signed_in, make_event):
    event = make_event()
    signed_in(event.organiser)
    token = csrf_token(client, f"/e/{event.ref}")
    response = client.post(f"/organise/events/{event.ref}/cancel", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Say why" in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert f'href="/organise/events/{event.ref}/cancel"' in page


def test_the_confirm_page_asks_why_and_keeps_the_event_by_default(client, signed_in, make_event):
    event = make_event(title="Vigil at the square")
    signed_in(event.organiser)
    page = client.get(f"/organise/events/{event.ref}/cancel").get_data(as_text=True)
    assert "Cancel the event?" in page and "Vigil at the square" in page
    assert '<label for="reason">' in page
    assert f'href="/e/{event.ref}"' in page  # "Keep the event"
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED


def test_a_reason_too_long_is_refused_beside_the_field(client, signed_in, make_event):
    event = make_event()
    signed_in(event.organiser)
    response = _cancel(client, event, reason="x" * 501)
    assert response.status_code == 400
    assert 'id="reason-error"' in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED


def test_a_draft_is_cancelled_without_a_reason(client, signed_in, make_event):
    event = make_event(status=EventStatus.DRAFT)
    signed_in(event.organiser)
    assert _cancel(client, event).status_code == 302
    db.session.refresh(event)
    assert event.status is EventStatus.CANCELLED and event.cancel_reason is None


def test_members_read_the_reason_and_their_page_stops_recruiting(
    client, signed_in, make_event, make_group
):
    event = make_event()
    group = make_group(event, 1)
    tokens = [groups.join_group(group, volunteer(contact="rahima@example.org")).token]
    db.session.commit()
    signed_in(event.organiser)
    response = _cancel(client, event, reason=REASON)
    assert response.status_code == 302 and response.headers["Location"] == f"/e/{event.ref}"
    db.session.refresh(event)
    assert event.status is EventStatus.CANCELLED and event.cancel_reason == REASON
    assert REASON in client.get(f"/e/{event.ref}").get_data(as_text=True)

    page = client.get(f"/me/{tokens[0]}").get_data(as_text=True)
    assert "This event is cancelled. Do not go." in page and REASON in page
    for recruiting in (
        "Group code:",
        f"/j/{group.join_code}",
        "Bring friends",
        "check-in",
        "needs",
    ):
        assert recruiting not in page, recruiting
    by_channel = {m.channel: text_of(m).text for m in recorded("cancelled")}
    assert REASON in by_channel[Channel.EMAIL]
    assert "cancelled" in by_channel[Channel.SMS]  # short: the page has the reason


def test_a_checked_in_member_can_still_say_home_safe(client, make_event, make_group, fill_group):
    from campaign.events.service import cancel_event
    from campaign.models import utcnow

    event = make_event()
    group = make_group(event, 1)
    joined = fill_group(group, 1)[0]
    joined.membership.checked_in_at = utcnow()
    cancel_event(event, event.organiser, "Storm warning")
    db.session.commit()
    page = client.get(f"/me/{joined.token}").get_data(as_text=True)
    assert "Storm warning" in page and "home-safe" in page
