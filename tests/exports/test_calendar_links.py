"""Google and Outlook "add event" links stay under 2,000 characters whatever the event's
texts: long Persian titles, places and descriptions (6 characters a letter once encoded)
made them about 4,300."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, quote_plus, urlsplit

from campaign.exports.calendar_links import (
    MAX_URL,
    capped,
    google_calendar_url,
    outlook_calendar_url,
)
from campaign.exports.ical import CalendarEntry
from campaign.extensions import db
from campaign.groups import service
from tests.factories import volunteer

PERSIAN = "همبستگی با هزاره‌ها در میدان پارلمان "  # with a zero-width non-joiner


def persian(length: int) -> str:
    return (PERSIAN * (length // len(PERSIAN) + 1))[:length]


def test_capped_keeps_the_tail_and_fits_the_budget():
    assert capped("short", 100) == "short"
    text = persian(500)
    for budget in (30, 301, 1000):
        cut = capped(text, budget, tail="\n\nhttps://example.org/e/abc")
        assert len(quote_plus(cut)) <= budget or cut == "…\n\nhttps://example.org/e/abc"
        assert cut.endswith("…\n\nhttps://example.org/e/abc")
        assert text.startswith(cut.split("…")[0])
    # As long as fits: one more letter would not.
    cut = capped(text, 301)
    kept = cut[:-1]
    assert len(quote_plus(text[: len(kept) + 1] + "…")) > 301


def entry(**texts) -> CalendarEntry:
    start = datetime(2030, 3, 20, 10, 0, tzinfo=UTC)
    values = {
        "uid": "event-x@campaign",
        "sequence": 1,
        "summary": persian(2000),
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "timezone": "America/Argentina/ComodRivadavia",  # a long zone name
        "location": persian(2000),
        "description": persian(5000),
        "url": "https://a-rather-long-host-name.example.org/e/ABCDEFGHJK",
    }
    return CalendarEntry(**{**values, **texts})


def test_every_field_is_capped():
    for link in (google_calendar_url(entry()), outlook_calendar_url(entry())):
        assert len(link) < MAX_URL, len(link)
        query = parse_qs(urlsplit(link).query)
        title = (query.get("text") or query["subject"])[0]
        details = (query.get("details") or query["body"])[0]
        assert title.endswith("…") and persian(2000).startswith(title[:-1])
        assert query["location"][0].endswith("…")
        assert details.endswith("https://a-rather-long-host-name.example.org/e/ABCDEFGHJK")


def test_short_fields_are_left_whole():
    short = entry(summary="Stand, speak", location="Town Hall", description="Bring water.")
    query = parse_qs(urlsplit(google_calendar_url(short)).query)
    assert query["text"] == ["Stand, speak"] and query["location"] == ["Town Hall"]
    assert query["details"] == ["Bring water.\n\n" + short.url]


def page_links(page: str) -> list[str]:
    hrefs = (unescape(h) for h in re.findall(r'href="([^"]+)"', page))
    return [h for h in hrefs if h.startswith(("https://calendar.google", "https://outlook"))]


def test_links_on_pages_with_long_persian_fields(client, make_campaign, make_event):
    campaign = make_campaign(pledge=persian(4000))
    event = make_event(
        campaign=campaign,
        title=persian(120),
        venue_name=persian(120),
        address=persian(200),
        city=persian(100),
        description=persian(5000),
    )
    joined = service.start_group(event, volunteer())
    service.rename_group(joined.membership, persian(40))
    db.session.commit()
    for url in (f"/e/{event.ref}", f"/me/{joined.token}"):
        page = client.get(url, headers={"Accept-Language": "fa"}).get_data(as_text=True)
        found = page_links(page)
        assert len(found) == 2, url
        for link in found:
            assert len(link) < MAX_URL, (url, len(link))
            # As written in the page's HTML (&amp; for &) it is still a URL of that length.
            assert link.isascii()
