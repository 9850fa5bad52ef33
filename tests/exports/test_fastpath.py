"""Campaign feeds answered before Flask (campaign/exports/fastpath.py) answer exactly as
Flask's view does: same status, headers and bytes, for every way a calendar app asks."""

import gzip
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from campaign.exports.fastpath import FeedFastPath
from tests.helpers import count_queries

ASKS = {
    "plain": ("", {}),
    "gzip": ("", {"Accept-Encoding": "gzip, deflate"}),
    "persian": ("", {"Accept-Language": "fa-AF,fa;q=0.9"}),
    "urdu by the switcher": ("", {"Cookie": "lang=ur", "Accept-Language": "en"}),
    "by country": ("?country=gb", {}),
    "by city and kind of place": ("?city=London&venue_type=government_assembly", {}),
    # The language in the URL, as the pages hand it out to calendar servers (no cookie, no
    # Accept-Language); it wins over both; an unknown one reads as if absent.
    "persian by the url": ("?lang=fa", {}),
    "urdu by the url over the cookie": ("?lang=ur", {"Cookie": "lang=fa", "Accept-Language": "fa"}),
    "filtered, in urdu, gzipped": ("?country=gb&lang=ur", {"Accept-Encoding": "gzip"}),
    "unknown language in the url": ("?lang=xx", {"Accept-Language": "fa"}),
}


#: The pledge's line in each language: which language each ask above is answered in.
PLEDGE_LINE = {"en": "The pledge: ", "fa": "تعهدنامه: ", "ur": "عہد نامہ: "}
LANGUAGE_OF_ASK = {
    "persian": "fa",
    "urdu by the switcher": "ur",
    "persian by the url": "fa",
    "urdu by the url over the cookie": "ur",
    "filtered, in urdu, gzipped": "ur",
    "unknown language in the url": "fa",
}


def _comparable(response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.items() if k != "Date")
    return response.status_code, headers, response.data


@pytest.fixture
def flask_only(app):
    """Call the same app with and without the fast path in front."""
    fast = app.wsgi_app
    assert isinstance(fast, FeedFastPath)

    def without(call):
        app.wsgi_app = fast.wsgi_app
        try:
            return call()
        finally:
            app.wsgi_app = fast

    return without


@pytest.mark.parametrize("ask", ASKS)
@pytest.mark.parametrize("base_url", ["http://localhost", "https://calendar.example"])
def test_fast_answers_equal_flasks(client, make_campaign, make_event, flask_only, ask, base_url):
    campaign = make_campaign()
    make_event(campaign=campaign, title="Vigil; with a comma, and a semicolon")
    query, headers = ASKS[ask]
    url = f"/c/{campaign.slug}/calendar.ics{query}"
    # The test client sends the cookies of its jar, and no Cookie header of ours.
    headers = dict(headers)
    for cookie in filter(None, headers.pop("Cookie", "").split(";")):
        name, value = cookie.strip().split("=", 1)
        client.set_cookie(name, value, domain=urlsplit(base_url).hostname)

    def get(**more):
        return client.get(url, base_url=base_url, headers={**headers, **more})

    built = flask_only(get)  # Flask builds the feed; this worker caches it
    assert built.status_code == 200
    body = gzip.decompress(built.data) if "gzip" in ask else built.data
    assert b"BEGIN:VCALENDAR" in body
    (vevent,) = Calendar.from_ical(body).walk("VEVENT")
    assert PLEDGE_LINE[LANGUAGE_OF_ASK.get(ask, "en")] in str(vevent["DESCRIPTION"])
    with count_queries() as statements:
        fast = get()
    assert statements == [], "Flask answered: the fast path missed"
    assert _comparable(fast) == _comparable(built)

    etag = built.headers["ETag"]
    with count_queries() as statements:
        fast = get(**{"If-None-Match": etag})
    assert statements == []
    flask_304 = flask_only(lambda: get(**{"If-None-Match": etag}))
    assert fast.status_code == 304
    assert _comparable(fast) == _comparable(flask_304)
    if base_url.startswith("https"):
        assert "Strict-Transport-Security" in fast.headers


def test_a_change_is_never_answered_from_the_old_copy(client, make_campaign, make_event):
    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    first = client.get(url)
    client.get(url)  # cached
    added = make_event(campaign=campaign, title="Added later")
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert f"event-{added.ref}@campaign".encode() in again.data


def test_what_the_fast_path_cannot_answer_goes_to_flask(client, make_campaign, make_event):
    campaign = make_campaign()
    make_event(campaign=campaign)
    assert client.get("/c/no-such-campaign/calendar.ics").status_code == 404
    assert client.get(f"/c/{campaign.slug}/calendar.ics?country=Narnia").status_code == 400
    assert client.get(f"/c/{campaign.slug}/calendar.ics?city=a%00b").status_code == 400
    head = client.head(f"/c/{campaign.slug}/calendar.ics")
    assert head.status_code == 200 and head.data == b""


def test_a_signed_in_browser_is_answered_by_flask(client, make_campaign, make_event):
    """Flask may refresh a session's cookies on the way out; the fast path sends none."""
    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    client.get(url)
    client.set_cookie("session", "anything")
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    assert len(statements) == 1  # Flask's view read the revision


def test_not_installed_where_flask_hooks_must_check_every_request():
    """Trusted hosts and default rate limits are checked in Flask's hooks, which the fast
    path would skip. (A plain Flask app here: create_app with RATELIMIT_DEFAULT would set
    the default on the shared Limiter, for every app created after it in this process.)"""
    from flask import Flask

    from campaign.exports.fastpath import install

    for setting in (
        {"TRUSTED_HOSTS": ["calendar.example"]},
        {"RATELIMIT_DEFAULT": "100 per minute"},
        {"RATELIMIT_APPLICATION": "1000 per minute"},
        {"FEED_FAST_PATH": False},
    ):
        app = Flask(__name__)
        app.config.update(setting)
        before = app.wsgi_app
        install(app)
        assert app.wsgi_app == before, setting  # still Flask's own (a bound method)
