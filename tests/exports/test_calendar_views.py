"""Calendar files over HTTP: one event, the campaign feed, a volunteer's own feed."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import update
from werkzeug.http import http_date, parse_date

from campaign.events.service import cancel_event, update_event
from campaign.exports.feeds import FeedAsk, FeedFilters, last_modified_validator, version_of
from campaign.extensions import db
from campaign.groups import service
from campaign.models import Campaign, EventStatus, VenueType, utcnow
from tests.factories import event_details, volunteer


def calendar_of(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def vevents(response) -> dict:
    return {str(e["UID"]): e for e in calendar_of(response).walk("VEVENT")}


def only_vevent(response):
    (event,) = vevents(response).values()
    return event


# --- one event -----------------------------------------------------------------------------


def test_event_file_field_by_field(client, make_event):
    event = make_event(
        title="I AM HAZARA; at the hall, London",
        timezone="Europe/London",
        latitude=51.5,
        longitude=-0.1276,
        description="Bring water.\nStand together.",
    )
    response = client.get(f"/e/{event.ref}/calendar.ics")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event.ref}.ics"'
    vevent = only_vevent(response)
    assert str(vevent["UID"]) == f"event-{event.ref}@campaign"
    assert vevent.decoded("SEQUENCE") == event.revision
    assert vevent.decoded("DTSTAMP") <= utcnow().astimezone(UTC) + timedelta(seconds=1)
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent.decoded("DTEND") == event.ends_at
    assert str(vevent["SUMMARY"]) == "I AM HAZARA; at the hall, London"
    assert str(vevent["LOCATION"]) == "Town Hall, 1 Main Street, London, United Kingdom"
    assert (vevent["GEO"].latitude, vevent["GEO"].longitude) == (51.5, -0.1276)
    assert str(vevent["URL"]) == f"http://localhost/e/{event.ref}"
    description = str(vevent["DESCRIPTION"])
    assert description.startswith("Bring water.\nStand together.")
    assert "The pledge: Stay calm. Never go alone." in description
    assert f"http://localhost/e/{event.ref}/join" in description
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert sorted(a.decoded("TRIGGER") for a in vevent.walk("VALARM")) == [
        timedelta(days=-1),
        timedelta(hours=-2),
    ]
    timezones = calendar_of(response).walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/London"]


def test_same_uid_and_sequence_twice_and_an_edit_bumps_the_sequence(client, make_event):
    event = make_event()
    first = only_vevent(client.get(f"/e/{event.ref}/calendar.ics"))
    again = only_vevent(client.get(f"/e/{event.ref}/calendar.ics"))
    assert (str(first["UID"]), first.decoded("SEQUENCE")) == (
        str(again["UID"]),
        again.decoded("SEQUENCE"),
    )
    update_event(event, event.organiser, event_details(title="Moved to the square"))
    db.session.commit()
    edited = only_vevent(client.get(f"/e/{event.ref}/calendar.ics"))
    assert str(edited["UID"]) == str(first["UID"])
    assert edited.decoded("SEQUENCE") == first.decoded("SEQUENCE") + 1
    assert str(edited["SUMMARY"]) == "Moved to the square"


def test_a_cancelled_event_says_so(client, make_event):
    event = make_event(status=EventStatus.CANCELLED)
    vevent = only_vevent(client.get(f"/e/{event.ref}/calendar.ics"))
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["DESCRIPTION"]).startswith("This event is cancelled. Do not go.")
    # Apps that ignore STATUS still show it: the title says it too, in the reader's language.
    assert str(vevent["SUMMARY"]) == f"CANCELLED: {event.title}"
    client.get("/language/fa")
    persian = only_vevent(client.get(f"/e/{event.ref}/calendar.ics"))
    assert str(persian["SUMMARY"]) == f"لغو شد: {event.title}"


def test_persian_urdu_and_no_coordinates_make_a_valid_file(client, make_event):
    event = make_event(
        title="من هزاره هستم — میں ہزارہ ہوں",
        venue_name="پارلمان",
        city="کویته",
        country="PK",
        timezone="Asia/Karachi",
    )
    vevent = only_vevent(client.get(f"/e/{event.ref}/calendar.ics"))
    assert str(vevent["SUMMARY"]) == "من هزاره هستم — میں ہزارہ ہوں"
    assert str(vevent["LOCATION"]).startswith("پارلمان, 1 Main Street, کویته")
    assert "GEO" not in vevent


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.PENDING])
def test_unpublished_events_have_no_calendar(client, make_event, status):
    event = make_event(status=status)
    assert client.get(f"/e/{event.ref}/calendar.ics").status_code == 404
    assert client.get("/e/nosuchevent/calendar.ics").status_code == 404


# --- the campaign feed ---------------------------------------------------------------------


def _shift(event, days):
    """Move an event in time (as if created long ago) and commit."""
    event.starts_at += timedelta(days=days)
    event.ends_at += timedelta(days=days)
    event.signup_deadline = None
    db.session.commit()


def test_campaign_feed_holds_public_events_from_30_days_ago(client, make_campaign, make_event):
    campaign = make_campaign(name="I AM HAZARA", description="Small groups, one message.")
    upcoming = make_event(campaign=campaign)
    recent = make_event(campaign=campaign)
    _shift(recent, -35)  # ended 25 days ago
    old = make_event(campaign=campaign)
    _shift(old, -45)  # ended 35 days ago
    cancelled = make_event(campaign=campaign, status=EventStatus.CANCELLED)
    draft = make_event(campaign=campaign, status=EventStatus.DRAFT)
    pending = make_event(campaign=campaign, status=EventStatus.PENDING)
    elsewhere = make_event()

    response = client.get(f"/c/{campaign.slug}/calendar.ics")
    calendar = calendar_of(response)
    assert str(calendar["X-WR-CALNAME"]) == "I AM HAZARA"
    assert str(calendar["NAME"]) == "I AM HAZARA"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.data
    found = vevents(response)
    uid = "event-{}@campaign".format
    assert set(found) == {uid(upcoming.ref), uid(recent.ref), uid(cancelled.ref)}
    assert str(found[uid(cancelled.ref)]["STATUS"]) == "CANCELLED"
    for absent in (old, draft, pending, elsewhere):
        assert uid(absent.ref) not in found


def test_campaign_feed_filters(client, make_campaign, make_event):
    campaign = make_campaign()
    london = make_event(campaign=campaign, city="London", country="GB")
    quetta = make_event(
        campaign=campaign,
        city="Quetta",
        country="PK",
        timezone="Asia/Karachi",
        venue_type=VenueType.MOSQUE,
    )
    base = f"/c/{campaign.slug}/calendar.ics"

    def refs(query):
        return {uid.split("@")[0][6:] for uid in vevents(client.get(base + query))}

    assert refs("?country=pk") == {quetta.ref}
    assert refs("?city=london") == {london.ref}
    assert refs("?venue_type=mosque") == {quetta.ref}
    assert refs("?country=GB&venue_type=mosque") == set()
    assert refs("?city=100%") == set()  # a LIKE wildcard is only a character


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("?country=Britain", "country"),
        ("?venue_type=pub", "venue_type"),
        ("?city=" + "x" * 101, "city"),
    ],
)
def test_bad_feed_filters_get_a_clear_400(client, make_campaign, query, name):
    campaign = make_campaign()
    response = client.get(f"/c/{campaign.slug}/calendar.ics{query}")
    assert response.status_code == 400
    assert f"not valid: {name}" in response.get_data(as_text=True)


def test_unknown_campaign_feed_is_404(client):
    assert client.get("/c/no-such-campaign/calendar.ics").status_code == 404


def test_conditional_get_and_a_change_moves_the_etag(client, make_campaign, make_event):
    campaign = make_campaign()
    event = make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"

    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert not_modified.headers["ETag"] == etag

    # An unrelated campaign's change leaves this feed alone.
    make_event()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    update_event(event, event.organiser, event_details(title="New title"))
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "New title" in changed.get_data(as_text=True)

    etag = changed.headers["ETag"]
    cancel_event(event, event.organiser)
    db.session.commit()
    cancelled = client.get(url, headers={"If-None-Match": etag})
    assert cancelled.status_code == 200
    assert str(only_vevent(cancelled)["STATUS"]) == "CANCELLED"


def test_a_new_event_in_the_campaign_moves_the_etag(client, make_campaign, make_event):
    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    etag = client.get(url).headers["ETag"]
    added = make_event(campaign=campaign)
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert f"event-{added.ref}@campaign" in vevents(response)


def test_the_feed_is_built_once_and_served_from_cache(app, client, make_campaign, make_event):
    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    from tests.helpers import count_queries

    first = client.get(url)
    with count_queries() as statements:
        second = client.get(url)
    assert second.data == first.data
    # Answered before Flask from this worker's cache: one read of the feed revision on a
    # pooled connection (below SQLAlchemy's statement events), nothing else.
    assert statements == []
    app.wsgi_app = app.wsgi_app.wsgi_app  # without the fast path: Flask's view, one query
    with count_queries() as statements:
        third = client.get(url)
    assert third.data == first.data
    assert len(statements) == 1  # the campaign's feed revision


# --- a volunteer's own feed ----------------------------------------------------------------


def test_personal_feed_is_tentative_until_the_third_member_joins(client, make_event):
    event = make_event(min_group_size=3, max_group_size=5, timezone="Europe/Berlin")
    first = service.start_group(event, volunteer())
    db.session.commit()
    group = first.membership.group
    url = f"/me/{first.token}/calendar.ics"

    response = client.get(url)
    assert response.headers["Cache-Control"] == "no-store"
    # Refreshed every half hour (Apple and Outlook read X-PUBLISHED-TTL; see feeds.py).
    assert calendar_of(response).decoded("REFRESH-INTERVAL") == timedelta(minutes=30)
    assert b"X-PUBLISHED-TTL:PT30M\r\n" in response.data
    forming = only_vevent(response)
    assert str(forming["STATUS"]) == "TENTATIVE"
    assert "Do not go alone" in str(forming["DESCRIPTION"])
    assert str(forming["SUMMARY"]) == f"{event.title} · Group {group.display_code}"

    service.join_group(group, volunteer())
    db.session.commit()
    assert str(only_vevent(client.get(url))["STATUS"]) == "TENTATIVE"

    service.join_group(group, volunteer())
    db.session.commit()
    ready = only_vevent(client.get(url))
    assert str(ready["STATUS"]) == "CONFIRMED"
    assert str(ready["UID"]) == str(forming["UID"])
    assert ready.decoded("SEQUENCE") > forming.decoded("SEQUENCE")


def test_personal_feed_has_the_meeting_point_and_time(client, make_event):
    event = make_event(timezone="Europe/Berlin")
    leader = service.start_group(event, volunteer())
    db.session.commit()
    before = only_vevent(client.get(f"/me/{leader.token}/calendar.ics"))
    service.rename_group(leader.membership, "Kreuzberg friends")
    meet = event.starts_at - timedelta(minutes=30)
    service.set_meeting(leader.membership, "Under the clock, Alexanderplatz", meet)
    db.session.commit()
    vevent = only_vevent(client.get(f"/me/{leader.token}/calendar.ics"))
    assert str(vevent["SUMMARY"]) == f"{event.title} · Kreuzberg friends"
    assert vevent.decoded("DTSTART") == meet
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent.decoded("DTEND") == event.ends_at
    assert str(vevent["LOCATION"]).startswith("Under the clock, Alexanderplatz — Town Hall")
    assert "Meet: Under the clock, Alexanderplatz" in str(vevent["DESCRIPTION"])
    assert vevent.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    # The secret member link never goes into calendar data (calendars sync to clouds).
    body = client.get(f"/me/{leader.token}/calendar.ics").data
    assert leader.token.encode() not in body
    assert str(vevent["URL"]) == f"http://localhost/e/{event.ref}"


def test_personal_feed_of_a_cancelled_event(client, make_event):
    event = make_event()
    joined = service.start_group(event, volunteer())
    db.session.commit()
    cancel_event(event, event.organiser)
    db.session.commit()
    vevent = only_vevent(client.get(f"/me/{joined.token}/calendar.ics"))
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["SUMMARY"]).startswith(f"CANCELLED: {event.title} · ")


def test_unknown_token_has_no_feed(client):
    assert client.get("/me/not-a-token/calendar.ics").status_code == 404


# --- buttons ---------------------------------------------------------------------------------


def test_event_page_has_calendar_buttons_with_encoded_parameters(client, make_event):
    event = make_event(title="Stand & speak: Quetta", timezone="Asia/Karachi")
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert f'href="/e/{event.ref}/calendar.ics?lang=en"' in page
    assert f'href="/c/{event.campaign.slug}/subscribe"' in page
    google = _link(page, "https://calendar.google.com/")
    query = parse_qs(urlsplit(google).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Stand & speak: Quetta"]
    start, end = event.starts_at, event.ends_at
    assert query["dates"] == [f"{start:%Y%m%dT%H%M%S}Z/{end:%Y%m%dT%H%M%S}Z"]
    assert query["ctz"] == ["Asia/Karachi"]
    assert query["location"] == ["Town Hall, 1 Main Street, London, United Kingdom"]
    assert f"http://localhost/e/{event.ref}" in query["details"][0]
    outlook = parse_qs(urlsplit(_link(page, "https://outlook.live.com/")).query)
    assert outlook["subject"] == ["Stand & speak: Quetta"]
    assert outlook["startdt"] == [f"{start:%Y-%m-%dT%H:%M:%S}Z"]
    assert outlook["enddt"] == [f"{end:%Y-%m-%dT%H:%M:%S}Z"]
    assert outlook["rru"] == ["addevent"]


def test_member_page_buttons_never_hand_the_secret_link_to_google(client, make_event):
    event = make_event()
    joined = service.start_group(event, volunteer())
    service.set_meeting(joined.membership, "Behind the red kiosk", None)
    db.session.commit()
    page = client.get(f"/me/{joined.token}").get_data(as_text=True)
    assert f'href="/me/{joined.token}/calendar.ics?lang=en"' in page
    assert f'href="webcal://localhost/me/{joined.token}/calendar.ics?lang=en"' in page
    for prefix in ("https://calendar.google.com/", "https://outlook.live.com/"):
        link = _link(page, prefix)
        assert joined.token not in link
        assert joined.token not in str(parse_qs(urlsplit(link).query))
        assert "red kiosk" not in str(parse_qs(urlsplit(link).query))  # members only


def test_a_cancelled_event_offers_no_web_calendar_links(client, make_event):
    event = make_event(status=EventStatus.CANCELLED)
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "calendar.google.com" not in page and "outlook.live.com" not in page
    assert f'href="/e/{event.ref}/calendar.ics?lang=en"' in page  # marks it cancelled there


def test_web_calendar_links_stay_short_with_persian_text(make_event, app):
    from campaign.exports.calendar_links import google_calendar_url
    from campaign.exports.feeds import event_entry

    event = make_event(description="من هزاره هستم. " * 200)
    with app.test_request_context():
        url = google_calendar_url(event_entry(event, event.campaign))
    assert len(url) < 2000
    assert "%E2%80%A6" in url  # cut with an ellipsis


def test_empty_feed_is_still_a_valid_calendar(client, make_campaign):
    campaign = make_campaign()
    calendar = calendar_of(client.get(f"/c/{campaign.slug}/calendar.ics"))
    assert calendar.walk("VEVENT") == []
    assert len(calendar.subcomponents) >= 1


def test_deleting_an_event_moves_the_feed_etag(client, make_campaign, make_event):
    campaign = make_campaign()
    event = make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    etag = client.get(url).headers["ETag"]
    db.session.delete(event)
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert vevents(response) == {}


@pytest.mark.parametrize(
    "url",
    [
        "/c/%00/calendar.ics",
        "/c/x/calendar.ics?city=%00",
        "/e/%00/calendar.ics",
        "/e/%00/qr.png",
        "/e/%00/poster.pdf",
        "/e/%00",
        "/j/%00/qr.svg",
        "/me/%00/calendar.ics",
    ],
)
def test_nul_bytes_get_a_400_never_a_500(client, url):
    assert client.get(url).status_code == 400


def _link(page: str, prefix: str) -> str:
    from html import unescape

    start = page.index(f'href="{prefix}') + len('href="')
    return unescape(page[start : page.index('"', start)])


def test_the_feed_is_gzipped_for_clients_that_accept_it(client, make_campaign, make_event):
    import gzip

    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] == plain.headers["ETag"]
    # RFC 9110: a quality of 0 refuses gzip; "*" with a quality accepts it.
    for header, packs in (
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("br, gzip;q=0", False),
        ("*;q=0.5", True),
        ("GZIP;q=0.8", True),
    ):
        answer = client.get(url, headers={"Accept-Encoding": header})
        assert ("Content-Encoding" in answer.headers) is packs, header
        assert (answer.data == plain.data) is not packs, header


# --- If-Modified-Since ---------------------------------------------------------------------


def changed_at(campaign, moment) -> None:
    """As if the campaign's feed last changed at ``moment``: a new revision then."""
    db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(feed_revision=Campaign.feed_revision + 1, feed_changed_at=moment)
    )
    db.session.commit()


@pytest.mark.parametrize("fast_path", [True, False])
def test_if_modified_since_alone_gets_304(app, client, make_campaign, make_event, fast_path):
    if not fast_path:
        app.wsgi_app = app.wsgi_app.wsgi_app
    campaign = make_campaign()
    event = make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    # Changed this very second: no Last-Modified yet (another change may come in the same
    # second, and "not modified since" that second would hide it).
    assert "Last-Modified" not in client.get(url).headers
    moment = utcnow() - timedelta(minutes=5, microseconds=-123456)
    changed_at(campaign, moment)
    first = client.get(url)
    assert first.status_code == 200
    last_modified = first.headers["Last-Modified"]
    assert parse_date(last_modified) == moment.replace(microsecond=0)
    for since in (last_modified, http_date(utcnow())):
        for _ in range(2):  # built by Flask, then answered from the copy (fast path)
            response = client.get(url, headers={"If-Modified-Since": since})
            assert response.status_code == 304, since
            assert response.data == b"" and response.headers["ETag"] == first.headers["ETag"]
    earlier = http_date(moment - timedelta(seconds=1))
    response = client.get(url, headers={"If-Modified-Since": earlier})
    assert response.status_code == 200 and response.headers["Last-Modified"] == last_modified
    # If-None-Match takes precedence (RFC 9110 13.2.2): another ETag gets the feed.
    both = {"If-Modified-Since": last_modified, "If-None-Match": '"other"'}
    assert client.get(url, headers=both).status_code == 200

    update_event(event, event.organiser, event_details(title="Moved"))
    db.session.commit()
    after = client.get(url, headers={"If-Modified-Since": last_modified})
    assert after.status_code == 200 and "Moved" in after.get_data(as_text=True)
    assert "Last-Modified" not in after.headers  # the change's second is not over


def test_last_modified_only_once_its_second_is_over():
    change = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)  # the second of a change at .8
    for after in (timedelta(0), timedelta(milliseconds=900), timedelta(seconds=1.9)):
        assert last_modified_validator(change, change + after) is None, after
    assert last_modified_validator(change, change + timedelta(seconds=2)) == change
    ask = FeedAsk("s", FeedFilters(), "en", "", "https://example.org")
    version = version_of(ask, (1, 7, change.replace(microsecond=800_000)), change)
    assert version.last_modified == change  # whole seconds
