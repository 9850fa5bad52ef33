"""Security headers on every kind of response, cookie flags, no caching of personal data."""

import logging

import pytest

from campaign import create_app
from campaign.extensions import db
from campaign.groups import service
from campaign.security import RedactTokens, redact
from tests.databases import app_config
from tests.factories import volunteer
from tests.helpers import csrf_token, sign_in


@pytest.fixture
def urls(make_event):
    event = make_event()
    joined = service.start_group(event, volunteer())
    db.session.commit()
    return event, joined.token


def _assert_headers(response, *, private=False):
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert "camera=()" in response.headers["Permissions-Policy"]
    if private:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_public_pages_files_and_errors(client, urls):
    event, _ = urls
    for url in (
        "/",
        f"/c/{event.campaign.slug}",
        f"/e/{event.ref}",
        f"/e/{event.ref}/join",
        f"/e/{event.ref}/calendar.ics",
        f"/e/{event.ref}/qr.svg",
        f"/e/{event.ref}/poster.pdf",
        "/static/css/app.css",
        "/no/such/page",
        "/auth/login",
    ):
        _assert_headers(client.get(url))


def test_pages_with_personal_data_are_never_cached(client, signed_in, urls):
    event, token = urls
    for url in (f"/me/{token}", f"/me/{token}/calendar.ics", f"/me/{token}/sign.pdf"):
        _assert_headers(client.get(url), private=True)
    signed_in(event.organiser)
    for url in (
        f"/organise/events/{event.ref}/board",
        f"/organise/events/{event.ref}/signups.csv",
        "/auth/account",
    ):
        _assert_headers(client.get(url), private=True)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    secure = client.get("/auth/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_cookie_flags(client, make_organiser):
    organiser = make_organiser()
    response = sign_in(client, organiser.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in development


def test_production_cookies_are_secure(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "prod"))
    app = create_app({**app_config(database_url), "PREFERRED_URL_SCHEME": "https"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    with app.app_context():
        db.engine.dispose()


def test_the_session_is_renewed_at_sign_in_and_ended_at_sign_out(client, make_organiser):
    organiser = make_organiser()
    client.get("/auth/login")
    before = client.get_cookie("session")
    sign_in(client, organiser.email)
    after = client.get_cookie("session")
    assert before is None or before.value != after.value
    stolen = after.value
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/organise")})
    client.set_cookie("session", stolen)  # someone kept a copy of the old cookie
    assert client.get("/organise").status_code == 302  # it no longer works


def test_too_large_requests_are_refused(client):
    response = client.post("/auth/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_member_tokens_never_reach_logs(app):
    for name in ("werkzeug", "gunicorn.access"):  # every logger: see tests/test_logs.py
        record = logging.getLogger(name).makeRecord(
            name, logging.INFO, "", 0, '"%s" %s', ("GET /me/" + "a" * 32 + " HTTP/1.1", 200), None
        )
        assert "a" * 32 not in record.getMessage()
    record = logging.LogRecord(
        "werkzeug", logging.INFO, "", 0, '"%s" %s', ("GET /me/" + "a" * 32 + " HTTP/1.1", 200), None
    )
    RedactTokens().filter(record)  # for handlers configured by a deployment
    assert "a" * 32 not in record.getMessage()
    line = '127.0.0.1 - - "GET /me/Abc_123-xyzXYZ0123456789abcdefABCD/calendar.ics HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1 - - "GET /me/[redacted]/calendar.ics HTTP/1.1" 200'
