"""The campaign page as a search: filters, near me, pages, and bad input explained."""

import re
from datetime import timedelta

import pytest

from campaign.campaigns import search
from campaign.models import EventStatus, VenueType, utcnow
from tests.helpers import count_queries

RESULT = re.compile(r'<h3><a href="/e/([a-z0-9]+)">')


def refs(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return RESULT.findall(response.get_data(as_text=True))


def _build(factory) -> tuple:
    campaign = factory.campaign()
    start = (utcnow() + timedelta(days=5)).replace(hour=12, minute=0, second=0, microsecond=0)

    def event(title, city, country, zone, lat, lon, venue=VenueType.GOVERNMENT_ASSEMBLY, days=0):
        local = (start + timedelta(days=days)).replace(tzinfo=None)
        return factory.event(
            campaign=campaign,
            title=title,
            city=city,
            country=country,
            timezone=zone,
            latitude=lat,
            longitude=lon,
            venue_type=venue,
            local_start=local,
            local_end=local + timedelta(hours=2),
        )

    events = {
        "london": event("Westminster stand", "London", "GB", "Europe/London", 51.50, -0.12),
        "berlin": event("Brandenburg stand", "Berlin", "DE", "Europe/Berlin", 52.52, 13.40, days=1),
        "quetta": event(
            "Press club", "Quetta", "PK", "Asia/Karachi", 30.18, 67.00, VenueType.MOSQUE, days=2
        ),
        "sydney": event("Martin Place", "Sydney", "AU", "Australia/Sydney", -33.87, 151.21, days=3),
        "nowhere": event("No map", "Toronto", "CA", "America/Toronto", None, None, days=4),
    }
    factory.event(campaign=campaign, status=EventStatus.DRAFT, title="Westminster draft")
    return campaign.slug, {name: e.ref for name, e in events.items()}, start


@pytest.fixture(scope="module")
def built_world(build_world):
    """Five events in five countries and a draft, made once for the module."""
    return build_world(_build)


@pytest.fixture
def world(app, built_world):
    """This test's own copy of the world: (campaign slug, event refs by city, first start)."""
    return built_world.copy()


def test_everything_upcoming_in_date_order_and_never_drafts(client, world):
    slug, ref, _ = world
    assert refs(client, f"/c/{slug}") == [
        ref["london"],
        ref["berlin"],
        ref["quetta"],
        ref["sydney"],
        ref["nowhere"],
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=westminster", ["london"]),
        ("?q=PLACE", ["sydney"]),
        ("?q=stand+brandenburg", ["berlin"]),
        ("?country=pk", ["quetta"]),
        ("?city=sydney", ["sydney"]),
        ("?venue_type=mosque", ["quetta"]),
        ("?q=100%25", []),
        ("?q=_", []),
    ],
)
def test_filters(client, world, query, expected):
    slug, ref, _ = world
    assert refs(client, f"/c/{slug}{query}") == [ref[name] for name in expected]


def test_date_range_uses_each_events_own_day(client, world):
    slug, ref, start = world
    first = start.date()
    since, until = first + timedelta(days=1), first + timedelta(days=2)
    url = f"/c/{slug}?date_from={since}&date_to={until}"
    assert refs(client, url) == [ref["berlin"], ref["quetta"]]


def test_no_results_says_so(client, world):
    slug, _, _ = world
    page = client.get(f"/c/{slug}?q=atlantis").get_data(as_text=True)
    assert "0 events found" in page
    assert "No event matches" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?country=XX", "That country is not known"),
        ("?venue_type=pub", "That kind of place is not known"),
        ("?date_from=2026-02-30", "Dates look like 2026-12-05"),
        ("?date_from=2030-01-02&date_to=2030-01-01", "The end date is before the start date"),
        ("?lat=north&lon=1", "Your position could not be read"),
        ("?lat=91&lon=0", "Your position could not be read"),
        ("?page=-1", "There is no such page"),
        ("?page=99", "There is no such page"),
        ("?q=" + "x" * 300, "That search is too long"),
        ("?q=%EF%BF%BF%E2%80%AE&city=%D9%83", None),
    ],
)
def test_bad_parameters_get_a_message_never_a_500(client, world, query, message):
    slug, _, _ = world
    response = client.get(f"/c/{slug}{query}")
    assert response.status_code == 200
    if message:
        assert message in response.get_data(as_text=True)


def test_near_me_is_nearest_first_with_distances(client, world):
    slug, ref, _ = world
    page = client.get(f"/c/{slug}?lat=52.37&lon=4.90").get_data(as_text=True)  # Amsterdam
    assert RESULT.findall(page) == [ref["london"], ref["berlin"], ref["quetta"], ref["sydney"]]
    assert re.search(r">35\d km away<", page)  # Amsterdam to London
    assert search.distance_km((52.37, 4.90), (51.50, -0.12)) == pytest.approx(357.5, abs=2)


def test_pages(client, make_campaign, make_event, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    campaign = make_campaign()
    made = [make_event(campaign=campaign, title=f"Event {n}") for n in range(5)]
    seen = []
    for page in (1, 2, 3):
        seen += refs(client, f"/c/{campaign.slug}?page={page}")
    assert sorted(seen) == sorted(e.ref for e in made)
    body = client.get(f"/c/{campaign.slug}?page=2").get_data(as_text=True)
    assert "Page 2 of 3" in body and 'rel="prev"' in body and 'rel="next"' in body


def test_counts_by_country_and_the_map_points(client, world):
    slug, ref, _ = world
    page = client.get(f"/c/{slug}").get_data(as_text=True)
    assert f'href="/c/{slug}?country=PK">Pakistan</a>' in page
    points = client.get(f"/c/{slug}/map.json?country=DE").get_json()["events"]
    assert points == [
        {
            "title": "Brandenburg stand",
            "city": "Berlin",
            "lat": 52.52,
            "lon": 13.4,
            "url": f"/e/{ref['berlin']}",
        }
    ]
    assert len(client.get(f"/c/{slug}/map.json").get_json()["events"]) == 4


def test_the_page_costs_the_same_queries_with_more_events(client, make_campaign, make_event):
    campaign = make_campaign()
    make_event(campaign=campaign)
    client.get(f"/c/{campaign.slug}")
    with count_queries() as few:
        client.get(f"/c/{campaign.slug}")
    for _ in range(12):
        make_event(campaign=campaign)
    with count_queries() as many:
        client.get(f"/c/{campaign.slug}")
    assert len(many) == len(few)
