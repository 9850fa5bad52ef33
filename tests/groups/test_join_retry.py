"""A reply lost on the way (a dropped connection, a phone going into a tunnel) strands nobody.

A join whose reply was lost was saved, but its retry was told "You're already in a group…
open the link you kept", a link the volunteer never got. The join form now comes with a
one-time key, and the device's session with the member token that key will get, before
any join: the retry from the same device lands on the page of the same membership. A
different device typing the same contact still gets the neutral refusal.

Losing a reply here means losing all of it: the body and the session cookie it would have
set (the test client's cookie is put back as it was before the request).
"""

import re

import pytest
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.groups import service
from campaign.models import Membership
from tests.factories import volunteer
from tests.helpers import csrf_token

ME_LINK = re.compile(r"/me/([A-Za-z0-9_-]{32,})$")
ATTEMPT = re.compile(r'name="attempt"[^>]*value="([^"]*)"')
REFUSED = "You're already in a group for this event."


def form(client, url: str, **fields: str) -> dict[str, str]:
    """The join form as the device was shown it, filled in."""
    page = client.get(url).get_data(as_text=True)
    attempt = ATTEMPT.search(page)
    data = {
        "csrf_token": csrf_token(client, url),
        "attempt": attempt.group(1) if attempt else "",
        "display_name": "Zahra",
        "contact": "+12015550100",
        "pledge": "y",
    }
    return {**data, **fields}


def lost_reply(client, url: str, data: dict):
    """Send the form; the reply, and the cookie it sets, never arrive."""
    kept = client.get_cookie("session")
    response = client.post(url, data=data)
    if kept is None:
        client.delete_cookie("session")
    else:
        client.set_cookie("session", kept.value)
    return response


def member_of(response) -> Membership:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    token = ME_LINK.search(response.headers["Location"]).group(1)
    membership = service.membership_by_token(token)
    assert membership is not None
    return membership


def members() -> int:
    return db.session.scalar(select(func.count(Membership.id)))


@pytest.fixture
def join_urls(make_event, make_group):
    """Each way to join: any group, a new group, one group by its code (the invite link)."""
    event = make_event()
    group = make_group(event, 1)
    return {
        "any group": (f"/e/{event.ref}/join", {"mode": "any"}),
        "new group": (f"/e/{event.ref}/join", {"mode": "new"}),
        "by code": (f"/j/{group.join_code}", {}),
    }


@pytest.mark.parametrize("way", ["any group", "new group", "by code"])
def test_the_retry_of_a_join_whose_reply_was_lost_lands_on_the_same_membership(
    client, app, join_urls, way
):
    url, extra = join_urls[way]
    data = form(client, url, **extra)
    first = member_of(lost_reply(client, url, data))
    before = members()

    retry = client.post(url, data=data)
    assert member_of(retry).id == first.id
    assert members() == before
    page = client.get(retry.headers["Location"]).get_data(as_text=True)
    assert "Keep this link" in page  # the link the first reply would have shown
    assert "nothing was saved twice" in page

    # Another device typing the same contact learns nothing.
    other = app.test_client()
    refused = other.post(url, data=form(other, url, **extra))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and REFUSED in page
    assert "/me/" not in page
    assert members() == before


def test_a_new_form_filled_in_again_after_a_lost_reply_recovers_too(client, join_urls):
    url, extra = join_urls["any group"]
    first = member_of(lost_reply(client, url, form(client, url, **extra)))
    # The volunteer reloads the page and types it all again, the number written differently.
    again = client.post(url, data=form(client, url, contact="+1 (201) 555-0100", **extra))
    assert member_of(again).id == first.id
    assert members() == 2  # the group's first member and this one


def test_a_retry_with_a_changed_contact_makes_no_second_membership(client, join_urls):
    url, extra = join_urls["new group"]
    data = form(client, url, **extra)
    first = member_of(lost_reply(client, url, data))
    retry = client.post(url, data={**data, "contact": "+12015550199"})
    assert member_of(retry).id == first.id
    assert members() == 2


def test_the_form_and_its_key_without_the_device_get_nothing(client, app, join_urls):
    """Someone who copied the form, key included, does not hold the device's session."""
    url, extra = join_urls["any group"]
    data = form(client, url, **extra)
    member_of(lost_reply(client, url, data))
    other = app.test_client()
    copied = {**data, "csrf_token": csrf_token(other, url)}
    page = other.post(url, data=copied).get_data(as_text=True)
    assert REFUSED in page and "/me/" not in page


def test_a_device_remembers_only_its_last_few_forms(client, join_urls):
    url, extra = join_urls["any group"]
    for _ in range(10):
        form(client, url, **extra)
    with client.session_transaction() as session:
        assert len(session["join_attempts"]) == 4


# --- the other presses a lost reply could leave unanswered ----------------------------------


@pytest.fixture
def group_of_four(make_event):
    """Above its minimum of three: one may leave without confirming."""
    event = make_event(min_group_size=3)
    leader = service.start_group(event, volunteer())
    db.session.commit()
    others = []
    for _ in range(3):
        others.append(service.join_group(leader.membership.group, volunteer()))
        db.session.commit()
    return leader, others


def test_the_retry_of_a_leave_says_what_happened(client, group_of_four):
    _, (member, *_) = group_of_four
    url = f"/me/{member.token}/leave"
    data = {"csrf_token": csrf_token(client, url), "confirmed": "yes"}
    assert lost_reply(client, url, data).status_code == 302
    retry = client.post(url, data=data)
    page = retry.get_data(as_text=True)
    assert retry.status_code == 404
    assert "You left this group" in page  # the departed link says what happened


def test_the_retry_of_a_removal_goes_back_to_the_leaders_page(client, group_of_four):
    leader, (member, *_) = group_of_four
    url = f"/me/{leader.token}/remove/{member.membership.id}"
    data = {"csrf_token": csrf_token(client, f"/me/{leader.token}"), "confirmed": "yes"}
    assert lost_reply(client, url, data).status_code == 302
    retry = client.post(url, data=data)
    assert retry.status_code == 302
    assert retry.headers["Location"] == f"/me/{leader.token}"
    assert members() == 3


@pytest.mark.parametrize("step", ["check-in", "home-safe"])
def test_the_retry_of_a_day_of_event_press_is_answered_the_same(
    client, make_event, monkeypatch, step
):
    event = make_event()
    joined = service.start_group(event, volunteer())
    day = event.starts_at  # read now: a lazy load inside a request would lock the test's own
    monkeypatch.setattr(service, "utcnow", lambda: day)  # the day itself
    service.check_in(joined.membership)
    db.session.commit()
    checked_in_at = joined.membership.checked_in_at
    url = f"/me/{joined.token}/{step}"
    data = {"csrf_token": csrf_token(client, f"/me/{joined.token}")}
    first = lost_reply(client, url, data)
    retry = client.post(url, data=data)
    assert first.status_code == retry.status_code == 302
    page = client.get(retry.headers["Location"]).get_data(as_text=True)
    assert ("Checked in" if step == "check-in" else "Glad you are home safe") in page
    db.session.refresh(joined.membership)
    assert joined.membership.checked_in_at == checked_in_at
