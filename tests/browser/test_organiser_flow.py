"""An organiser's way through the real pages in Chromium: sign in, create an event, submit it."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import Event, EventStatus
from tests.databases import SQLITE_ONLY
from tests.factories import PASSWORD
from tests.helpers import DESKTOP, PHONE, local_input

# Pages in a browser, not the database: SQLite only.
pytestmark = SQLITE_ONLY

KARACHI = ZoneInfo("Asia/Karachi")  # UTC+5 all year: no daylight saving time


def _local_day_ahead(days: int = 10) -> datetime:
    """Midnight (naive, wall-clock) ``days`` from today in Karachi."""
    today = datetime.now(KARACHI).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day)


def _sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/organise$"))


def _event_count() -> int:
    db.session.rollback()  # end the test's transaction: see what the server committed
    return db.session.scalar(select(func.count(Event.id)))


@pytest.mark.browser
def test_organiser_creates_an_event_in_their_zone_and_submits_it(
    open_page, make_organiser, make_campaign
):
    organiser = make_organiser()
    campaign = make_campaign()
    email, campaign_id, campaign_name = organiser.email, campaign.id, campaign.name
    page = open_page(**DESKTOP, timezone_id="Asia/Karachi", locale="en-GB")

    _sign_in(page, email)
    page.get_by_role("link", name="New event").click()
    expect(page).to_have_url(re.compile(r"/organise/events/new$"))
    campaign_select = page.get_by_label("Campaign", exact=True)
    expect(campaign_select).to_have_value(str(campaign_id))
    expect(campaign_select.locator("option:checked")).to_have_text(campaign_name)
    # static/js/zones.js picks the browser's own zone while no country is chosen.
    expect(page.get_by_label("Time zone of the place", exact=True)).to_have_value("Asia/Karachi")

    day = _local_day_ahead()
    start, end = day.replace(hour=11), day.replace(hour=13)
    page.get_by_label("Title", exact=True).fill("I AM HAZARA at the Quaid's tomb")
    page.get_by_label("Kind of place", exact=True).select_option(label="Demonstration")
    page.get_by_label("Name of the place", exact=True).fill("Mazar-e-Quaid")
    page.get_by_label("City", exact=True).fill("Karachi")
    page.get_by_label("Country", exact=True).select_option(label="Pakistan")
    page.get_by_label("Starts", exact=True).fill(local_input(start))
    page.get_by_label("Ends", exact=True).fill(local_input(end))
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/e/[^/]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("I AM HAZARA at the Quaid's tomb")
    expect(page.locator(".event .facts .zone")).to_contain_text("Asia/Karachi")
    expect(page.locator(".event .facts time")).to_contain_text("11:00\u201313:00")  # en dash

    assert _event_count() == 1
    event = db.session.scalar(select(Event))
    assert page.url.endswith(f"/e/{event.ref}")
    assert event.status is EventStatus.DRAFT
    assert event.timezone == "Asia/Karachi"
    assert event.country == "PK"
    # 11:00 in Karachi (UTC+5) is 06:00 UTC.
    assert event.starts_at == day.replace(hour=6, tzinfo=UTC)
    assert event.ends_at == day.replace(hour=8, tzinfo=UTC)

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review by a campaign admin.")).to_be_visible()
    db.session.rollback()
    db.session.refresh(event)
    assert event.status is EventStatus.PENDING


@pytest.mark.browser
def test_phone_shows_a_time_mistake_beside_the_field_and_keeps_what_was_typed(
    open_page, make_organiser, make_campaign
):
    organiser = make_organiser()
    make_campaign()
    email = organiser.email
    page = open_page(**PHONE, timezone_id="Asia/Karachi", locale="en-GB")

    _sign_in(page, email)
    page.get_by_role("link", name="New event").click()
    day = _local_day_ahead()
    page.get_by_label("Title", exact=True).fill("Vigil at the press club")
    page.get_by_label("Kind of place", exact=True).select_option(label="Other public place")
    page.get_by_label("Name of the place", exact=True).fill("Press Club")
    page.get_by_label("City", exact=True).fill("Quetta")
    page.get_by_label("Country", exact=True).select_option(label="Pakistan")
    page.get_by_label("Starts", exact=True).fill(local_input(day.replace(hour=11)))
    page.get_by_label("Ends", exact=True).fill(local_input(day.replace(hour=10)))
    page.get_by_role("button", name="Save").click()

    ends = page.get_by_label("Ends", exact=True)
    expect(ends).to_have_attribute("aria-invalid", "true")
    # The message sits in the field's own box and is tied to the input for screen readers.
    expect(ends).to_have_accessible_description("The end must be after the start.")
    message = page.locator(".field.has-error", has=ends).locator(".error")
    expect(message).to_have_text("The end must be after the start.")
    expect(message).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Vigil at the press club")
    assert _event_count() == 0

    width = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    # With is_mobile, Chrome zooms out of a page wider than the phone and innerWidth grows to
    # match scrollWidth, so the comparison alone would pass; pin innerWidth to the viewport.
    assert width["inner"] == PHONE["viewport"]["width"], width
    assert width["scroll"] <= width["inner"], width
