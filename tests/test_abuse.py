"""Abuse resistance: rate limits, join codes that cannot be enumerated, honeypots, and no
sign-up for an event that is not published."""

import secrets

import pytest
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import EventStatus, Membership
from campaign.models.groups import JOIN_CODE_ALPHABET
from tests.helpers import csrf_token, submit


def random_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


def test_join_codes_cannot_be_enumerated(client, make_event):
    make_event()
    statuses = [client.get(f"/j/{random_code()}").status_code for _ in range(40)]
    assert statuses[:30] == [404] * 30  # unknown codes, said plainly
    assert 429 in statuses[30:]  # then: too many tries from this address
    # Every way of trying a code counts together.
    assert client.get("/j?code=ABCD-EFGH").status_code == 429
    assert client.get(f"/j/{random_code()}/qr.svg").status_code == 429
    page = client.get(f"/j/{random_code()}")
    assert "Too many requests" in page.get_data(as_text=True)


def test_another_address_is_not_limited(client, make_event):
    make_event()
    for _ in range(31):
        client.get(f"/j/{random_code()}")
    other = client.get(f"/j/{random_code()}", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 404


def test_sign_in_is_limited(client, make_organiser):
    organiser = make_organiser()
    token = csrf_token(client, "/auth/login")
    codes = [
        client.post(
            "/auth/login",
            data={"email": organiser.email, "password": "wrong password!", "csrf_token": token},
        ).status_code
        for _ in range(12)
    ]
    assert 429 in codes


def test_joining_is_limited(app, client, make_event):
    app.config["RATELIMIT_JOIN"] = "3 per minute"
    event = make_event(max_group_size=50)
    url = f"/e/{event.ref}/join"
    codes = []
    for n in range(5):
        data = {
            "csrf_token": csrf_token(client, url),
            "display_name": f"Person {n}",
            "contact": f"+1201555{n:04d}",
            "pledge": "y",
        }
        codes.append(client.post(url, data=data).status_code)
    assert codes[:3] == [302, 302, 302]
    assert codes[3:] == [429, 429]


def test_the_honeypot_refuses_bots_and_saves_nothing(client, make_event):
    event = make_event()
    url = f"/e/{event.ref}/join"
    response = submit(
        client,
        url,
        {
            "display_name": "Bot",
            "contact": "+12015550199",
            "pledge": "y",
            "website": "http://spam.example",
        },
    )
    assert response.status_code == 200
    assert "This form could not be sent" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Membership.id))) == 0


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.PENDING, EventStatus.CANCELLED])
def test_no_sign_up_for_an_event_that_is_not_published(client, make_event, status):
    event = make_event(status=status)
    url = f"/e/{event.ref}/join"
    published = make_event()
    token = csrf_token(client, f"/e/{published.ref}/join")
    response = client.post(
        url,
        data={"csrf_token": token, "display_name": "A", "contact": "+12015550123", "pledge": "y"},
    )
    assert response.status_code in (403, 404, 200)
    assert db.session.scalar(select(func.count(Membership.id))) == 0
