"""Nothing a signed-in organiser sees, and no member page, is kept by a browser or a proxy:
``Cache-Control: no-store`` on every such response, by one hook, for every route there is.

The organiser dashboard, the event edit form and the admins' review queue had no
Cache-Control at all: a shared computer's back button or disk cache kept them.
"""

import pytest

from campaign.extensions import db
from tests.every_route import Site, route_id, routes, url_for_rule
from tests.helpers import sign_in

#: Public resources with no personal data, whose views choose their own caching (or none).
PUBLIC = {
    "static",
    "favicon",
    "service_worker",  # static/sw.js and the app manifest: no-cache, nothing personal
    "manifest",
    "exports.event_calendar",
    "exports.campaign_calendar",
    "exports.event_qr",
    "exports.campaign_qr",
    "exports.group_qr",
    "exports.event_poster",
    "share.event_image",
    "share.campaign_image",
    "share.site_image",
}


@pytest.fixture
def site(make_organiser, make_campaign, make_event):
    return Site.build(make_organiser, make_campaign, make_event)


def get_routes(app):
    return [(rule, method) for rule, method in routes(app) if method == "GET"]


def test_every_page_a_signed_in_organiser_gets_is_not_stored(app, client, site):
    assert sign_in(client, site.organiser.email).status_code == 302
    checked = 0
    for rule, method in get_routes(app):
        if rule.endpoint in PUBLIC:
            continue
        response = client.get(url_for_rule(app, rule, site))
        what = f"{route_id((rule, method))}: {response.status_code}"
        assert response.status_code < 500, what
        assert response.headers.get("Cache-Control") == "no-store", what
        checked += 1
    assert checked >= 30  # the dashboard, edit forms, review queue, board, contact log, ...
    # Error pages too: a signed-in 404 carries the organiser's menu.
    assert client.get("/organise/events/nope/edit").headers["Cache-Control"] == "no-store"


def test_every_member_route_is_not_stored_for_anyone(app, client, site):
    member_routes = [(r, m) for r, m in get_routes(app) if r.rule.startswith("/me/")]
    assert len(member_routes) >= 6
    for rule, method in member_routes:
        response = client.get(url_for_rule(app, rule, site))
        # A verified member's code page leads back to their page.
        expected = 302 if rule.endpoint == "groups.verify" else 200
        assert response.status_code == expected, route_id((rule, method))
        assert response.headers.get("Cache-Control") == "no-store", route_id((rule, method))
    # An unknown token's 404 as well: it says whether a token exists.
    assert client.get("/me/" + "x" * 32).headers["Cache-Control"] == "no-store"


def test_public_resources_keep_their_own_caching(app, client, site):
    assert sign_in(client, site.organiser.email).status_code == 302
    for rule, _method in get_routes(app):
        if rule.endpoint in PUBLIC - {"static"}:
            response = client.get(url_for_rule(app, rule, site))
            assert response.status_code == 200, rule.rule
            assert response.headers.get("Cache-Control") not in (None, "no-store"), rule.rule
    static = client.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_public_pages_for_visitors_are_left_alone(client, site):
    db.session.rollback()
    for url in (f"/e/{site.event.ref}", f"/c/{site.campaign.slug}"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), url
