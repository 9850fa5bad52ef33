"""The campaign feed cannot be turned into a weapon: no Host header, filter spelling or
burst of requests makes it build more than once per revision, its disk cache stays
bounded, and a cache that cannot be written breaks nothing. Counts, never timings."""

import errno
import io
import os
import threading
from pathlib import Path

import pytest
from flask import request, url_for
from icalendar import Calendar
from sqlalchemy import func, select

from campaign import create_app
from campaign.exports import builds, feeds
from campaign.exports.feed_store import FeedStore
from campaign.exports.views import _now, feed_cache
from campaign.extensions import db
from campaign.models import Event, Membership
from campaign.navigation import absolute_url_for
from tests.databases import SQLITE_ONLY, app_config
from tests.events.test_views import _form as event_form
from tests.helpers import IsolatedClient, submit


@pytest.fixture
def build_count(monkeypatch):
    """How many times the feed's events were read: once per build (before the fix too)."""
    calls = []
    real = feeds.feed_events

    def counted(campaign, filters, now):
        calls.append(filters.key())
        return real(campaign, filters, now)

    monkeypatch.setattr(feeds, "feed_events", counted)
    return calls


def _lines_fit(body: bytes) -> bool:
    return all(len(line) <= 75 for line in body.split(b"\r\n"))


def _urls(body: bytes) -> list[str]:
    calendar = Calendar.from_ical(body)
    return [str(event["URL"]) for event in calendar.walk("VEVENT")]


def test_many_host_headers_cause_one_build_and_each_gets_its_own_links(
    client, make_campaign, make_event, build_count
):
    campaign = make_campaign()
    event = make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    hosts = [f"attacker-{n}.example" for n in range(25)]
    hosts += ["LOCALHOST", "localhost:80", "a-long-host-name-to-make-lines-fold.example:8443"]
    for host in hosts:
        response = client.get(url, base_url=f"http://{host}")
        assert response.status_code == 200
        origin = "http://" + host.lower().removesuffix(":80")
        assert _urls(response.data) == [f"{origin}/e/{event.ref}"]
        assert f"{origin}/e/{event.ref}/join".encode() in response.data.replace(b"\r\n ", b"")
        assert _lines_fit(response.data)
    assert len(build_count) == 1


def test_the_links_are_what_absolute_url_for_writes(app):
    for base in ("http://Example.ORG", "http://example.org:80", "https://example.org:8443"):
        with app.test_request_context("/", base_url=base):
            origin = feeds.feed_origin(app.config, request.environ)
            path = url_for("events.show_event", ref="abc")
            assert origin + path == absolute_url_for("events.show_event", ref="abc")


def test_persian_feed_for_a_long_host_still_folds_and_parses(client, make_campaign, make_event):
    campaign = make_campaign()
    event = make_event(campaign=campaign, title="تجمع " * 20)
    host = "a-very-long-host-name-for-the-feed-that-makes-folding-necessary.example.org"
    response = client.get(
        f"/c/{campaign.slug}/calendar.ics",
        base_url=f"https://{host}",
        headers={"Accept-Language": "fa"},
    )
    assert response.status_code == 200
    assert _lines_fit(response.data)
    calendar = Calendar.from_ical(response.data)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["URL"]) == f"https://{host}/e/{event.ref}"
    assert f"https://{host}/e/{event.ref}/join" in str(vevent["DESCRIPTION"])
    assert str(calendar["URL"]) == f"https://{host}/c/{campaign.slug}"


@pytest.mark.parametrize(
    ("spellings", "city"),
    [
        (["London", "lONDON", "  london ", "LONDON&utm_source=x", "Ｌｏｎｄｏｎ"], "London"),
        (["Quetta", "quetta&unknown=1&another=2", "QUETTA"], "Quetta"),
    ],
)
def test_filter_spellings_cause_one_build(
    client, make_campaign, make_event, build_count, spellings, city
):
    campaign = make_campaign()
    make_event(campaign=campaign, city=city)
    make_event(campaign=campaign, city="Berlin", country="DE")
    bodies = set()
    for spelling in spellings:
        response = client.get(f"/c/{campaign.slug}/calendar.ics?city={spelling}")
        assert response.status_code == 200
        assert len(Calendar.from_ical(response.data).walk("VEVENT")) == 1
        bodies.add(response.headers["ETag"])
    assert len(bodies) == 1
    assert len(build_count) == 1


def _server_name_app(database_url, tmp_path, monkeypatch, **more):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "named-instance"))
    app = create_app(
        {
            **app_config(database_url),
            "SERVER_NAME": "calendar.example",
            "PREFERRED_URL_SCHEME": "https",
            **more,
        }
    )
    app.test_client_class = IsolatedClient
    return app


def test_with_server_name_every_host_gets_the_one_canonical_feed(
    app, database_url, tmp_path, monkeypatch, make_campaign, make_event, build_count
):
    campaign = make_campaign()
    event = make_event(campaign=campaign)
    named = _server_name_app(database_url, tmp_path, monkeypatch)
    client = named.test_client()
    answers = set()
    for n in range(12):
        response = client.get(
            f"/c/{campaign.slug}/calendar.ics", base_url=f"http://random-{n}.example"
        )
        assert response.status_code == 200
        assert _urls(response.data) == [f"https://calendar.example/e/{event.ref}"]
        answers.add((response.headers["ETag"], response.data))
    assert len(answers) == 1
    assert len(build_count) == 1


# --- many at once ------------------------------------------------------------------------


def test_threads_asking_for_one_uncached_feed_cause_one_build(
    app, make_campaign, make_event, monkeypatch
):
    """Sixteen threads, each its own test client (so its own request and session), all
    asking at once: one builds, the others wait for it and are served its bytes."""
    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    started = threading.Barrier(16)
    builds_seen = []
    real = builds.build_feed_template

    def slow_counted(*args):
        builds_seen.append(threading.get_ident())
        started_building.set()
        release.wait(10)  # every other thread is asking meanwhile
        return real(*args)

    started_building, release = threading.Event(), threading.Event()
    monkeypatch.setattr(builds, "build_feed_template", slow_counted)
    results = []

    def ask(n):
        with app.app_context():
            client = app.test_client()
            started.wait()
            if n == 15:
                started_building.wait(10)
                release.set()
            response = client.get(url, base_url=f"http://host-{n}.example")
            results.append((response.status_code, response.data))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(builds_seen) == 1
    assert len(results) == 16
    assert {status for status, _ in results} == {200}
    assert all(b"BEGIN:VEVENT" in body for _, body in results)


def test_a_request_during_someone_elses_build_is_told_to_come_back(
    app, client, make_campaign, make_event, build_count
):
    app.config["FEED_BUILD_WAIT_SECONDS"] = 0.2
    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    # Another worker holds this feed's build lock (a process of its own, in effect).
    filters = feeds.FeedFilters()
    with app.test_request_context(url):
        version = feeds.feed_version(campaign.slug, filters, "http://localhost", _now())
    store = builds.feed_store()
    with store.building(version.build_key, wait=0) as mine:
        assert mine
        response = client.get(url)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "prepared" in response.get_data(as_text=True)
    assert build_count == []
    assert client.get(url).status_code == 200  # the lock let go: built now
    assert len(build_count) == 1


def test_build_slots_bound_builds_running_at_once(tmp_path):
    store = FeedStore(tmp_path, max_files=10, max_bytes=10**6, slots=2)
    keys = [f"{n:032x}" for n in (1, 2, 3)]  # three different lock files
    with store.building(keys[0], 0) as first, store.building(keys[1], 0) as second:
        assert first and second
        with store.building(keys[2], 0.1) as third:
            assert not third  # both slots taken
    with store.building(keys[2], 0) as third:
        assert third


# --- the disk ----------------------------------------------------------------------------


def _listings(monkeypatch, folder: Path) -> list:
    """Counts directory listings of ``folder``."""
    seen = []
    for name in ("scandir", "listdir"):
        real = getattr(os, name)

        def counted(path=".", _real=real):
            if Path(path) == folder:
                seen.append(path)
            return _real(path)

        monkeypatch.setattr(os, name, counted)
    return seen


@SQLITE_ONLY  # 200 feeds through the disk cache: the cache is tested, not the database
def test_ten_times_more_filters_than_the_cache_holds_leave_it_bounded(
    app, client, make_campaign, make_event, monkeypatch
):
    app.config.update(
        RATELIMIT_ENABLED=False, FEED_CACHE_MAX_FILES=20, FEED_CACHE_MAX_BYTES=200_000
    )
    campaign = make_campaign()
    make_event(campaign=campaign)
    folder = Path(app.instance_path) / "feeds"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "0123456789abcdef0123456789abcdef.ics.gz").write_bytes(b"x" * 1000)  # old format
    listings = _listings(monkeypatch, folder)
    for n in range(200):  # ten times what the cache may keep
        response = client.get(f"/c/{campaign.slug}/calendar.ics?city=nowhere-{n}")
        assert response.status_code == 200
    assert len(listings) <= 1  # once, to start the index (and clear the old format)
    files = [p for p in folder.iterdir() if not p.name.endswith(".lock")]
    kept = [p for p in files if p.suffix == ".feed"]
    assert len(kept) <= 20
    assert sum(p.stat().st_size for p in kept) <= 200_000
    assert {p.name for p in files} - {p.name for p in kept} == {"index.json"}
    assert len(feed_cache()) <= 200  # memory: bounded in bytes (64 MB), checked elsewhere


def test_disk_cache_keeps_the_newest_and_counts_bytes(tmp_path):
    store = FeedStore(tmp_path, max_files=3, max_bytes=250, slots=1)
    keys = [f"{n:032x}" for n in range(6)]
    for key in keys:
        assert store.write(key, b"x" * 100)
    assert [store.read(key) is not None for key in keys] == [False] * 4 + [True] * 2
    assert not store.write(f"{9:032x}", b"x" * 251)  # larger than the whole cache


@pytest.fixture(params=["not a folder", "disk full"])
def unwritable_feed_cache(request, app, monkeypatch):
    """instance/feeds cannot be written: it is a file (so even root cannot), or every write
    into it fails with ENOSPC."""
    folder = Path(app.instance_path) / "feeds"
    if request.param == "not a folder":
        folder.write_bytes(b"")
        return folder
    real_os_open, real_io_open = os.open, io.open

    def full(path):
        return Path(path).resolve().parent == folder.resolve()

    def os_open(path, flags, mode=0o777, **kw):
        if full(path) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_os_open(path, flags, mode, **kw)

    def io_open(file, mode="r", *args, **kw):
        if isinstance(file, str | Path) and full(file) and set(mode) & set("wax+"):
            raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real_io_open(file, mode, *args, **kw)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    return folder


def test_an_unwritable_feed_cache_breaks_nothing(
    app, client, signed_in, make_organiser, make_campaign, make_event, unwritable_feed_cache
):
    campaign = make_campaign()
    event = make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    first = client.get(url)
    assert first.status_code == 200 and b"BEGIN:VEVENT" in first.data
    assert client.get(url).data == first.data  # from memory
    # A volunteer joins,
    join = f"/e/{event.ref}/join"
    response = submit(
        client, join, {"display_name": "Zahra", "contact": "+12015550100", "pledge": "y"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.session.scalar(select(func.count(Membership.id))) == 1
    # an organiser creates an event,
    signed_in(make_organiser())
    created = client.post("/organise/events/new", data=event_form(client, campaign))
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    assert db.session.scalar(select(func.count(Event.id))) == 2
    # and the feed still answers.
    assert client.get(url, headers={"Accept-Encoding": "gzip"}).status_code == 200


# --- rate limits -------------------------------------------------------------------------


def test_cold_builds_are_limited_per_client_and_built_feeds_still_served(
    app, client, make_campaign, make_event, build_count
):
    app.config["RATELIMIT_FEED_BUILD"] = "3 per minute"
    campaign = make_campaign()
    make_event(campaign=campaign)
    url = f"/c/{campaign.slug}/calendar.ics"
    answers = [client.get(f"{url}?city=c{n}").status_code for n in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    refused = client.get(f"{url}?city=c4")
    assert refused.headers["Retry-After"] == "60"
    assert "Too many" in refused.get_data(as_text=True)
    assert client.get(f"{url}?city=c0").status_code == 200  # built already: served
    other = client.get(f"{url}?city=c4", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
    assert len(build_count) == 4
