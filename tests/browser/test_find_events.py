"""Finding an event on a phone: the list at 320 px, "near me", the opt-in map, and the
viewer's own time; in English and in Persian (right to left)."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.databases import SQLITE_ONLY

# Pages in a browser, not the database: SQLite only.
pytestmark = SQLITE_ONLY

WIDTH_320 = {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 320"
    )


@pytest.fixture
def campaign_slug(make_campaign, make_event):
    campaign = make_campaign(name="I AM HAZARA")
    make_event(
        campaign=campaign,
        title="Westminster",
        timezone="Europe/London",
        latitude=51.5,
        longitude=-0.12,
    )
    make_event(
        campaign=campaign,
        title="Quetta press club",
        city="Quetta",
        country="PK",
        timezone="Asia/Karachi",
        latitude=30.18,
        longitude=67.0,
    )
    make_event(
        campaign=campaign,
        title="Toronto, no coordinates",
        city="Toronto",
        country="CA",
        timezone="America/Toronto",
    )
    return campaign.slug


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fa"])
def test_campaign_page_at_320_pixels(open_page, campaign_slug, language, tmp_path):
    page = open_page(**WIDTH_320)
    page.goto(f"/language/{language}?next=/c/{campaign_slug}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    expect(page.locator(".event-list > li")).to_have_count(3)
    page.screenshot(path=tmp_path / f"campaign-{language}-320.png", full_page=True)
    assert no_horizontal_scroll(page)
    if language == "fa":  # mirrored: the heading starts at the right edge
        box = page.locator("h1").bounding_box()
        assert 320 - (box["x"] + box["width"]) < 40


@pytest.mark.browser
def test_near_me_sorts_by_distance_from_the_browsers_position(open_page, campaign_slug):
    page = open_page(
        **WIDTH_320, geolocation={"latitude": 31.5, "longitude": 65.7}, permissions=["geolocation"]
    )  # Kandahar
    page.goto(f"/c/{campaign_slug}")
    page.get_by_role("button", name="Near me").click()
    expect(page).to_have_url(re.compile(r"lat=31\.5000&lon=65\.7000"))
    titles = page.locator(".event-list h3").all_inner_texts()
    assert titles == ["Quetta press club", "Westminster"]
    expect(page.locator(".event-list")).to_contain_text("km away")


@pytest.mark.browser
def test_the_map_loads_only_when_asked_and_the_list_stays(app, open_page, campaign_slug):
    app.config["MAP_TILE_URL"] = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens there
    page = open_page(viewport={"width": 1000, "height": 800})
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"/c/{campaign_slug}")
    expect(page.locator("#map")).to_be_hidden()
    assert all(host.startswith("127.0.0.1") for host in hosts)
    assert "127.0.0.1:9" not in hosts  # no tile asked for before the visitor asks
    page.get_by_role("button", name="Show the map").click()
    expect(page.locator("#map")).to_have_attribute("data-markers", "2")
    expect(page.locator(".leaflet-marker-icon, .marker-cluster")).not_to_have_count(0)
    expect(page.locator(".event-list > li")).to_have_count(3)  # tiles failed: the list is all


@pytest.mark.browser
def test_the_viewers_own_time_is_shown_beside_the_events(open_page, campaign_slug):
    page = open_page(**WIDTH_320, timezone_id="Asia/Kabul", locale="en-GB")
    page.goto(f"/c/{campaign_slug}")
    viewer_times = page.locator(".viewer-time:visible")
    expect(viewer_times).to_have_count(3)
    expect(viewer_times.first).to_contain_text("Your time:")
    expect(viewer_times.first).to_contain_text("GMT+4:30")
