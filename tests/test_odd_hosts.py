"""Odd Host headers: a 400 page with the security headers on every route, never a bare 500.

A Host label over 63 characters (or an empty one) makes werkzeug raise ``BadHost`` while
Flask binds its URL adapter, so the error page had no adapter for its links and failed in
turn: a bare 500 without security headers. Broken punycode and ports that are no number
failed later, wherever ``request.url`` was read. Each is checked through the test client,
through werkzeug's own server and through gunicorn, since the test client builds its
requests differently (it cannot even send some of these).
"""

import socket
import threading

import pytest
from flask import render_template
from flask.globals import request_ctx
from werkzeug.datastructures import Headers
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from bench.load import create_event, prepare_instance
from campaign import create_app
from campaign.extensions import db
from tests.databases import app_config
from tests.every_route import Site, route_id, routes, url_for_rule
from tests.helpers import sign_in
from tests.served import Server

# One xdist worker starts the module's gunicorn, not each.
pytestmark = pytest.mark.xdist_group("odd-hosts")

REFUSED = "This address is not one this site answers to."

#: Host headers werkzeug cannot route by or write back into a URL.
BAD_HOSTS = {
    "label over 63": "a" * 64 + ".example.org",
    "label over 63 with port": "b" * 64 + ".example.org:8000",
    "empty label": "a..example.org",
    "broken punycode": "xn--zz.example.org",
    "port not a number": "example.org:http",
    "port out of range": "example.org:99999",
    "unclosed IPv6": "[::1",
    "not ASCII": "例え.テスト",
}

#: Hosts that are fine, odd as they look.
GOOD_HOSTS = ["localhost", "localhost:5000", "127.0.0.1:8000", "[::1]:8000", "xn--n3h.example"]

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")


@pytest.fixture
def site(make_organiser, make_campaign, make_event):
    return Site.build(make_organiser, make_campaign, make_event)


@pytest.fixture
def served_app(app):
    """The app as a server runs it: errors become pages instead of reaching the test."""
    app.config["TESTING"] = False
    return app


def assert_refused(status: int, headers, body: str, what: str) -> None:
    assert status == 400, f"{what}: {status}"
    assert REFUSED in body, f"{what}: {body[:300]}"
    for name in SECURITY_HEADERS:
        assert name in headers, f"{what}: no {name}"


def call(app, method: str, url: str, headers: dict) -> tuple[int, Headers, str]:
    """The app called as a WSGI server calls it (the test client itself fails on some of
    these hosts, reading its cookies' domain from the URL)."""
    db.session.rollback()  # the test's own transaction: let the request see the database
    environ = EnvironBuilder(url, method=method, headers=headers).get_environ()
    body, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), response_headers, b"".join(body).decode()


@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_a_bad_host_is_refused_on_every_route(served_app, site, host):
    for rule, method in routes(served_app):
        url = url_for_rule(served_app, rule, site)
        status, headers, body = call(served_app, method, url, {"Host": host})
        assert_refused(status, headers, body, f"{route_id((rule, method))} with Host {host!r}")


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_good_hosts_are_served(served_app, site, host):
    client = served_app.test_client()
    for url in ("/", f"/e/{site.event.ref}", f"/me/{site.leader.token}", "/static/css/app.css"):
        response = client.get(url, headers={"Host": host})
        assert response.status_code in (200, 302), f"{url} with Host {host!r}"


@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_a_bad_forwarded_host_is_refused_behind_a_trusted_proxy(database_url, site, host):
    app = create_app({**app_config(database_url), "PROXY_FIX_HOPS": 1})
    app.config["TESTING"] = False
    for url in ("/", f"/e/{site.event.ref}/join", "/auth/login", "/nowhere"):
        status, headers, body = call(app, "GET", url, {"X-Forwarded-Host": host})
        assert_refused(status, headers, body, url)
        status, _, _ = call(app, "GET", url, {"X-Forwarded-Host": "campaign.example.org"})
        assert status in (200, 302, 404), url


def test_an_untrusted_host_gets_the_styled_page(database_url):
    """TRUSTED_HOSTS leaves Flask without a URL adapter in the same way."""
    app = create_app({**app_config(database_url), "TRUSTED_HOSTS": ["campaign.example.org"]})
    app.config["TESTING"] = False
    client = app.test_client()
    response = client.get("/auth/login", headers={"Host": "elsewhere.example.org"})
    assert_refused(response.status_code, response.headers, response.get_data(True), "untrusted")
    assert 'href="/static/css/app.css' in response.get_data(as_text=True)  # the styled page
    assert client.get("/auth/login", headers={"Host": "campaign.example.org"}).status_code == 200


def test_a_signed_in_organiser_with_a_bad_host_is_refused(served_app, site):
    client = served_app.test_client()
    assert sign_in(client, site.organiser.email).status_code == 302
    for url in ("/organise", f"/organise/events/{site.event.ref}/board"):
        response = client.get(url, headers={"Host": BAD_HOSTS["label over 63"]})
        assert_refused(response.status_code, response.headers, response.get_data(True), url)


# --- through real servers ---------------------------------------------------------------------


def raw_request(port: int, method: str, path: str, host: str) -> tuple[int, str, str]:
    """Send exactly this Host header (http.client would refuse some); (status, headers,
    body) of the answer."""
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, _, headers = head.decode("latin-1").partition("\r\n")
    return int(status_line.split()[1]), headers, body.decode("utf-8", "replace")


@pytest.fixture
def werkzeug_server(served_app):
    server = make_server("127.0.0.1", 0, served_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_a_bad_host_is_refused_by_werkzeugs_server(served_app, werkzeug_server, site, host):
    for rule, method in routes(served_app):
        url = url_for_rule(served_app, rule, site)
        status, headers, body = raw_request(werkzeug_server, method, url, host)
        assert_refused(status, headers, body, f"{route_id((rule, method))} with {host!r}")


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn from gunicorn.conf.py on a SQLite database with one published event."""
    folder = tmp_path_factory.mktemp("odd-hosts")
    database_url = f"sqlite:///{folder / 'hosts.sqlite3'}"
    instance = folder / "instance"
    prepare_instance(instance)
    ref = create_event(database_url, instance)
    server = Server(database_url, instance, workers=2).start()
    yield server, ref
    server.stop()


@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_a_bad_host_is_refused_by_gunicorn(gunicorn, host):
    server, ref = gunicorn
    paths = [
        ("GET", "/"),
        ("GET", "/static/css/app.css"),
        ("GET", f"/e/{ref}"),
        ("GET", f"/e/{ref}/calendar.ics"),
        ("GET", "/c/load/calendar.ics"),
        ("POST", f"/e/{ref}/join"),
        ("GET", "/me/not-a-token-but-long-enough"),
        ("GET", "/organise"),
        ("GET", "/nowhere"),
    ]
    for method, path in paths:
        status, headers, body = raw_request(server.port, method, path, host)
        assert_refused(status, headers, body, f"{method} {path} with {host!r}")
    status, _, _ = raw_request(server.port, "GET", f"/e/{ref}", "localhost:8000")
    assert status == 200


def test_any_page_renders_without_a_url_adapter(app):
    """However a page is reached (the 500 handler, a hook before ours), base.html's links
    are built without the request's host."""
    with app.test_request_context("/auth/login", headers={"Host": BAD_HOSTS["empty label"]}):
        assert request_ctx.url_adapter is None  # Flask could not bind the host
        page = render_template("errors.html", code=500, message="Broken")
    assert 'href="/auth/login"' in page
    assert 'href="/static/css/app.css' in page
