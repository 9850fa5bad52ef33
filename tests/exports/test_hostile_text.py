"""Every hostile character in every text field that reaches a calendar, and every feed
parsed strictly: a paragraph break never breaks a feed, a bare CR never injects a VEVENT."""

import re

import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from campaign.events import service as events_service
from campaign.extensions import db
from campaign.groups import service
from campaign.models import EventStatus
from tests.factories import volunteer

#: Line breaks of every kind, iCalendar's own separators, a backslash, control characters
#: (a NUL never gets this far: requests with one are refused, see campaign/errors.py).
HOSTILE = "A\r\nB\rEND:VEVENT\rBEGIN:VEVENT\rSUMMARY:fake\nC, D; E\\F\x01G\x7fH\u2028I\u2029J\x1fK"


def strictly_parsed(body: bytes) -> Calendar:
    """The feed parsed as a strict reader would: every line ends in CRLF, no bare CR or LF
    anywhere else, and icalendar reads it back."""
    assert body.endswith(b"\r\n")
    for line in body.split(b"\r\n")[:-1]:
        assert b"\r" not in line and b"\n" not in line, line
        assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", line), line
    return Calendar.from_ical(body)


def summaries(calendar: Calendar) -> list[str]:
    return [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]


@pytest.fixture
def hostile_world(make_campaign, make_event):
    campaign = make_campaign(name="Camp, " + HOSTILE[:40], description=HOSTILE)
    event = make_event(
        campaign=campaign,
        title="Stand " + HOSTILE[:30],
        description=HOSTILE,
        venue_name="Hall " + HOSTILE[:20],
        address=HOSTILE[:60],
        city="London",
    )
    joined = service.start_group(event, volunteer())
    service.rename_group(joined.membership, HOSTILE[:50])
    service.set_meeting(joined.membership, HOSTILE, None)
    db.session.commit()
    return campaign, event, joined.token


def test_every_feed_with_hostile_text_parses_strictly(client, hostile_world):
    campaign, event, token = hostile_world
    for url in (
        f"/c/{campaign.slug}/calendar.ics",
        f"/c/{campaign.slug}/calendar.ics?city=London",
        f"/e/{event.ref}/calendar.ics",
        f"/me/{token}/calendar.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        calendar = strictly_parsed(response.get_data())
        found = summaries(calendar)
        assert len(found) == 1, (url, found)  # no injected VEVENT
        title = ("Stand " + HOSTILE[:30]).replace("\r\n", "\n").replace("\r", "\n")
        assert found[0].startswith(title), found  # the text itself, every break kept
    feed = strictly_parsed(client.get(f"/c/{campaign.slug}/calendar.ics").get_data())
    description = str(feed["DESCRIPTION"])
    assert description.startswith("A\nB\nEND:VEVENT") and "C, D; E\\FGH\nI\nJK" in description
    # X-WR-CALDESC (Apple, Google) is TEXT too: escaped the same way, read back as written.
    assert str(feed["X-WR-CALDESC"]).startswith("A\\nB\\nEND:VEVENT\\n")


# --- every feed kind, every text field, three parsers ----------------------------------------

#: Characters that end or fold a content line, or mean something to a parser: a whole
#: VEVENT after a bare CR or LF, a folded line, iCalendar's separators and escapes.
EVERYWHERE = "Z\rEND:VEVENT\r\nBEGIN:VEVENT\nUID:evil\r\n DTSTART:20300101T000000Z\x0b\x0c;,:\\n\"'"


def by_three_parsers(body: bytes) -> int:
    """The feed read by icalendar (strictly, above), by ``ical`` (pydantic models, strict
    about every property's syntax) and by vobject: each sees the same number of VEVENTs,
    which is returned."""
    calendar = strictly_parsed(body)
    counted = len(calendar.walk("VEVENT"))
    text = body.decode("utf-8")
    other = IcsCalendarStream.calendar_from_ics(text)
    assert len(other.events) == counted
    assert all(event.uid != "evil" for event in other.events)
    third = vobject.readOne(text, validate=True)
    assert len(third.contents.get("vevent", [])) == counted
    return counted


def is_a_snapshot(calendar: Calendar) -> None:
    """No scheduling (RFC 5545 3.7.2): no METHOD, so no iTIP rule applies (RFC 5546 wants
    an ORGANIZER in every PUBLISH), and no ORGANIZER or ATTENDEE that would make an event
    a meeting the reader was invited to. What RFC 5545 asks of every VEVENT is there."""
    assert "METHOD" not in calendar
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    for vevent in calendar.walk("VEVENT"):
        assert "ORGANIZER" not in vevent and "ATTENDEE" not in vevent
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE"):
            assert name in vevent, name


@pytest.fixture
def hostile_everywhere(make_campaign, make_event):
    """Three events (one cancelled) whose every text field holds EVERYWHERE; the campaign's
    name, description and pledge too; a group with such a name and meeting point."""
    campaign = make_campaign(
        name="Camp" + EVERYWHERE, description=EVERYWHERE, pledge=EVERYWHERE + "\nsecond"
    )
    fields = ("title", "venue_name", "address", "description")
    events = [
        make_event(
            campaign=campaign,
            city="Quetta" if n else "London",
            country="PK" if n else "GB",
            **{name: f"{name} {n} {EVERYWHERE}" for name in fields},
        )
        for n in range(3)
    ]
    make_event(campaign=campaign, status=EventStatus.DRAFT, title="Draft " + EVERYWHERE)
    events_service.cancel_event(events[2], events[2].organiser)
    joined = service.start_group(events[0], volunteer())
    service.rename_group(joined.membership, "Group" + EVERYWHERE[:40])
    service.set_meeting(joined.membership, "Meet" + EVERYWHERE, None)
    db.session.commit()
    return campaign, events, joined.token


def test_every_feed_kind_reads_the_same_in_three_parsers(client, hostile_everywhere):
    campaign, events, token = hostile_everywhere
    feed = f"/c/{campaign.slug}/calendar.ics"
    expected = {
        feed: 3,
        f"{feed}?country=PK": 2,
        f"{feed}?country=gb": 1,
        f"{feed}?city=quetta&venue_type=government_assembly": 2,
        f"{feed}?venue_type=church": 0,
        f"/me/{token}/calendar.ics": 1,
        **{f"/e/{event.ref}/calendar.ics": 1 for event in events},
    }
    for url, count in expected.items():
        for language in ("en", "fa"):
            response = client.get(url, headers={"Accept-Language": language})
            assert response.status_code == 200, url
            assert by_three_parsers(response.get_data()) == count, (url, language)
            is_a_snapshot(Calendar.from_ical(response.get_data()))
    whole = Calendar.from_ical(client.get(feed).get_data())
    for vevent in whole.walk("VEVENT"):
        for name in ("SUMMARY", "LOCATION", "DESCRIPTION"):
            assert "DTSTART:2030" in str(vevent[name]).replace("\n", ""), name  # kept as text
    assert str(whole["X-WR-CALNAME"]).startswith("Camp")
