"""At scale: the number of SQL statements per page does not grow with the number of events
or groups (no N+1), and the hot queries use indexes (EXPLAIN on SQLite and PostgreSQL)."""

import pytest
from sqlalchemy import select, text

from campaign.dev.scale import seed_scale
from campaign.exports.views import feed_cache
from campaign.extensions import db
from campaign.models import Event, Membership
from tests.helpers import count_queries, sign_in

# One xdist worker seeds the module's world (seconds), not each.
pytestmark = pytest.mark.xdist_group("scale")


def _seed(_factory) -> None:
    seed_scale(10, 60, slug="small")
    seed_scale(1000, 4000, slug="large")


@pytest.fixture(scope="module")
def seeded(build_world):
    """Campaigns "small" (10 events, 60 members) and "large" (1,000 and 4,000), seeded once
    for the module: seeding takes seconds, a copy a fraction of that."""
    return build_world(_seed)


@pytest.fixture
def small_and_large(app, seeded):
    """This test's own copy of both campaigns."""
    seeded.copy()


def _queries(client, url) -> int:
    client.get(url)  # warm: one-off lookups (e.g. Babel data) are not what is counted
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _an_event(slug: str) -> Event:
    return db.session.scalar(
        select(Event).join(Event.campaign).where(Event.campaign.has(slug=slug)).limit(1)
    )


def test_public_pages_cost_the_same_with_10_or_1000_events(app, client, small_and_large):
    for path in (
        "/c/{slug}",
        "/c/{slug}?q=quetta",
        "/c/{slug}?lat=30&lon=67",
        "/c/{slug}/map.json",
    ):
        assert _queries(client, path.format(slug="small")) == _queries(
            client, path.format(slug="large")
        ), path
    small_event, large_event = _an_event("small"), _an_event("large")
    assert _queries(client, f"/e/{small_event.ref}") == _queries(client, f"/e/{large_event.ref}")


def test_the_feed_costs_the_same_with_10_or_1000_events(app, client, small_and_large):
    def cold(slug):
        feed_cache().clear()
        with count_queries() as statements:
            assert client.get(f"/c/{slug}/calendar.ics").status_code == 200
        return len(statements)

    assert cold("small") == cold("large")
    with count_queries() as warm:
        client.get("/c/large/calendar.ics")
    assert warm == []  # answered before Flask: one revision read on a pooled connection
    app.wsgi_app = app.wsgi_app.wsgi_app  # Flask's view: the revision read, nothing else
    with count_queries() as warm:
        client.get("/c/large/calendar.ics")
    assert len(warm) == 1


def test_the_board_costs_the_same_with_few_or_many_groups(app, make_event, make_group):
    few, many = make_event(max_group_size=8), make_event(max_group_size=8)
    for _ in range(2):
        make_group(few, 3)
    for _ in range(12):
        make_group(many, 3)
    assert few.organiser.id != many.organiser.id
    counts = []
    for event in (few, many):
        organiser_client = app.test_client()
        sign_in(organiser_client, event.organiser.email)
        counts.append(_queries(organiser_client, f"/organise/events/{event.ref}/board"))
    assert counts[0] == counts[1]


# --- indexes -------------------------------------------------------------------------------

#: The queries run on every page view, join and feed request, with what they look up.
HOT_QUERIES = {
    "event by ref": ("SELECT id FROM event WHERE ref = :v", "ref"),
    "campaign feed": (
        "SELECT id FROM event WHERE campaign_id = :v AND status IN ('published', 'cancelled') "
        "ORDER BY starts_at",
        "campaign",
    ),
    "search by date": (
        "SELECT id FROM event WHERE campaign_id = :v AND local_date >= '2026-01-01'",
        "campaign",
    ),
    "member by token": ("SELECT id FROM membership WHERE token_hash = :v", "token"),
    "members of a group": ("SELECT id FROM membership WHERE group_id = :v", "group"),
    "groups of an event": ("SELECT id FROM volunteer_group WHERE event_id = :v", "event"),
    "duplicate contact": (
        "SELECT id FROM membership WHERE event_id = :v AND contact_hash = 'x'",
        "event",
    ),
    "group by join code": ("SELECT id FROM volunteer_group WHERE join_code = :v", "code"),
}


@pytest.mark.parametrize("name", sorted(HOT_QUERIES))
def test_hot_queries_use_an_index(app, small_and_large, name):
    sql, kind = HOT_QUERIES[name]
    member = db.session.scalar(select(Membership).limit(1))
    values = {
        "ref": _an_event("large").ref,
        "campaign": _an_event("large").campaign_id,
        "token": member.token_hash,
        "group": member.group_id,
        "event": member.event_id,
        "code": member.group.join_code,
    }
    parameters = {"v": values[kind]}
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(
            str(row[-1])
            for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"), parameters)
        )
        assert "USING" in plan and "INDEX" in plan, plan  # SEARCH … USING (COVERING) INDEX
        assert not plan.startswith("SCAN event") and "SCAN membership" not in plan, plan
    else:
        # With sequential scans priced out, a plan without an index means there is none.
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}"), parameters))
        assert "Index" in plan and "Seq Scan" not in plan, plan


def test_seeded_events_are_published_as_an_admin_vouched_for_them(app):
    seed_scale(5, 20, slug="vouched")
    db.session.commit()
    events = db.session.scalars(select(Event).where(Event.campaign.has(slug="vouched"))).all()
    assert len(events) == 5
    for event in events:
        assert (event.reviewed_title, event.reviewed_description) == (
            event.title,
            event.description,
        )
        assert event.changed_since_review_at is None
