"""The event form's time zone follows the country, on a phone (390 by 844), with and without
JavaScript: a browser in London creating an event in Pakistan never saves Europe/London."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from campaign.extensions import db
from campaign.models import Event
from tests.browser.test_accessibility import serious_violations
from tests.databases import SQLITE_ONLY
from tests.factories import PASSWORD
from tests.helpers import local_input

pytestmark = SQLITE_ONLY

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LONDON = {"timezone_id": "Europe/London", "locale": "en-GB"}


def _sign_in_and_open_the_form(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/organise$"))
    page.goto("/organise/events/new")


def _first_group(page: Page) -> str:
    return page.locator("#timezone optgroup").first.get_attribute("label") or ""


def _fill_the_rest(page: Page) -> None:
    day = datetime.now(ZoneInfo("Asia/Karachi")).date() + timedelta(days=10)
    start = datetime(day.year, day.month, day.day, 11)
    page.get_by_label("Title", exact=True).fill("Vigil at the press club")
    page.get_by_label("Kind of place", exact=True).select_option(label="Other public place")
    page.get_by_label("Name of the place", exact=True).fill("Press Club")
    page.get_by_label("City", exact=True).fill("Quetta")
    page.get_by_label("Starts", exact=True).fill(local_input(start))
    page.get_by_label("Ends", exact=True).fill(local_input(start + timedelta(hours=2)))


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fa", "ur"])
def test_the_country_chooses_the_zone_on_a_phone(
    open_page, make_organiser, make_campaign, language
):
    email = make_organiser().email
    make_campaign()
    page = open_page(**PHONE_390, **LONDON)
    _sign_in_and_open_the_form(page, email)
    page.goto(f"/language/{language}?next=/organise/events/new")
    zone, country = page.locator("#timezone"), page.locator("#country")
    expect(zone).to_have_value("Europe/London")  # the browser's own, until a country is chosen
    expect(page.locator("[data-zones-refresh]")).to_have_count(0)

    for code, chosen in (("PK", "Asia/Karachi"), ("GB", "Europe/London"), ("US", "")):
        # Pakistan: its only zone; the UK: the browser's; the US: several, none the browser's.
        country.select_option(code)
        expect(zone).to_have_value(chosen)
        first = page.locator("#timezone optgroup").first
        expect(first).to_have_attribute("data-country", code)
        name = country.locator(f"option[value={code}]").inner_text()
        expect(first).to_have_attribute("label", name)  # in the page's language
    labels = page.locator("#timezone optgroup").first.locator("option").all_inner_texts()
    digits = "0123456789" if language != "fa" else "۰۱۲۳۴۵۶۷۸۹"
    offset = f"UTC\u2212{digits[0]}[{digits[4]}{digits[5]}]:{digits[0]}{digits[0]}"
    assert any(re.fullmatch(rf"America/New_York \({offset}\)", lb) for lb in labels), labels

    width = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert width["inner"] == 390 and width["scroll"] <= width["inner"], width


@pytest.mark.browser
def test_a_zone_of_another_country_is_questioned_before_saving(
    open_page, make_organiser, make_campaign
):
    email = make_organiser().email
    make_campaign()
    # bypass_csp: for axe's injected script; the other tests keep the page's own policy.
    page = open_page(**PHONE_390, **LONDON, bypass_csp=True)
    _sign_in_and_open_the_form(page, email)
    _fill_the_rest(page)
    page.get_by_label("Country", exact=True).select_option(label="Pakistan")
    zone = page.get_by_label("Time zone of the place", exact=True)
    zone.select_option("Europe/London")  # chosen by hand after the country
    page.get_by_role("button", name="Save").click()

    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(zone).to_have_accessible_description(
        re.compile("Europe/London\u2069? is not the time zone of Pakistan, which is \u2068?Asia")
    )
    expect(page.get_by_label(re.compile("Keep \u2068?Europe/London"))).not_to_be_checked()
    assert serious_violations(page) == []
    db.session.rollback()
    assert db.session.scalar(select(Event)) is None

    zone.select_option("Asia/Karachi")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/e/[^/]+$"))
    db.session.rollback()
    assert db.session.scalar(select(Event.timezone)) == "Asia/Karachi"


@pytest.mark.browser
def test_without_javascript_the_button_brings_the_countrys_zone(
    open_page, make_organiser, make_campaign
):
    email = make_organiser().email
    make_campaign()
    page = open_page(**PHONE_390, **LONDON, java_script_enabled=False)
    _sign_in_and_open_the_form(page, email)
    _fill_the_rest(page)
    zone = page.get_by_label("Time zone of the place", exact=True)
    expect(zone).to_have_value("")  # no script to guess: nothing is chosen for the organiser
    page.get_by_label("Country", exact=True).select_option(label="Pakistan")
    page.get_by_role("button", name="Show its time zones").click()
    expect(zone).to_have_value("Asia/Karachi")
    assert _first_group(page) == "Pakistan"
    title = page.get_by_label("Title", exact=True)
    expect(title).to_have_value("Vigil at the press club")
    title.press("Enter")  # Enter saves: the zones button is not the form's default
    expect(page).to_have_url(re.compile(r"/e/[^/]+$"))
    db.session.rollback()
    assert db.session.scalar(select(Event.timezone)) == "Asia/Karachi"


# --- "Your time": only when the clocks differ, in the page's own 24-hour clock -------------


def _event_at(make_event, zone: str, city: str, country: str, hour: int, minute: int = 0):
    day = datetime.now(ZoneInfo(zone)).date() + timedelta(days=10)
    start = datetime(day.year, day.month, day.day, hour, minute)
    return make_event(
        timezone=zone,
        city=city,
        country=country,
        local_start=start,
        local_end=start + timedelta(hours=2),
    )


@pytest.mark.browser
def test_your_time_is_not_shown_when_the_clocks_agree(open_page, make_event):
    """Melbourne and Sydney: two zone names, one clock (the line used to appear)."""
    ref = _event_at(make_event, "Australia/Sydney", "Sydney", "AU", 12).ref
    page = open_page(**PHONE_390, timezone_id="Australia/Melbourne", locale="en-AU")
    page.goto(f"/e/{ref}")
    expect(page.locator(".event .facts time").first).to_contain_text("12:00")
    expect(page.locator(".viewer-time")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fa"])
def test_your_time_uses_the_24_hour_clock_of_the_page(open_page, make_event, language):
    """19:30 in Kabul read in London: "15:00" (or 16:00 in summer), never "03:00 PM"."""
    event = _event_at(make_event, "Asia/Kabul", "Kabul", "AF", 19, 30)
    ref, starts_at = event.ref, event.starts_at
    page = open_page(**PHONE_390, timezone_id="Europe/London", locale="en-GB")
    page.goto(f"/language/{language}?next=/e/{ref}")
    line = page.locator(".viewer-time")
    expect(line).to_be_visible()
    text = line.inner_text()
    london = starts_at.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
    if language == "fa":  # Persian digits, like the dates beside it
        london = london.translate({ord("0") + d: chr(0x06F0 + d) for d in range(10)})
    assert london in text, text
    assert not re.search(r"\b(AM|PM)\b|ب\.ظ|ق\.ظ", text), text


@pytest.mark.browser
def test_the_form_without_its_script_has_no_serious_violations(
    open_page, make_organiser, make_campaign
):
    """What a reader without JavaScript gets (both extra buttons), checked by axe-core."""
    email = make_organiser().email
    make_campaign()
    # No service worker: its fetches of static files would bypass the page's route.
    page = open_page(**PHONE_390, **LONDON, bypass_csp=True, service_workers="block")
    page.route("**/js/zones.js", lambda route: route.abort())
    _sign_in_and_open_the_form(page, email)
    expect(page.locator("[data-zones-refresh]")).to_have_count(2)
    assert serious_violations(page) == []
