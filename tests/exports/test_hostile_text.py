"""Every hostile character in every text field that reaches a calendar, and every feed
parsed strictly: a paragraph break never breaks a feed, a bare CR never injects a VEVENT."""

import re

import pytest
from icalendar import Calendar

from campaign.extensions import db
from campaign.groups import service
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
