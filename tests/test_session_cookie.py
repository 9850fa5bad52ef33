"""The session cookie is encrypted: a device's member tokens and a two-factor key being set
up cannot be read from it; a changed cookie, or one from before, is an empty session."""

import base64
import contextlib
import re
import zlib

import pytest
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, SignatureExpired

from campaign.sessions import SealedCookie
from tests.helpers import csrf_token

ME_LINK = re.compile(r"/me/([A-Za-z0-9_-]{32,})")
TOTP_KEY = re.compile(r'class="totp-key">([A-Z2-7]{16,})<')


def session_cookie(response) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return header.split(";")[0].removeprefix("session=")
    raise AssertionError("no session cookie set")


def readable_forms(cookie: str) -> list[bytes]:
    """The cookie and whatever it decodes to: base64 of any part of it (Flask's signed
    cookie is base64 JSON, zlib-compressed when that is shorter)."""
    forms = [cookie.encode()]
    for part in [cookie, *cookie.split(".")]:
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                decoded = decode(part + "=" * (-len(part) % 4))
            except ValueError:
                continue
            forms.append(decoded)
            with contextlib.suppress(zlib.error):
                forms.append(zlib.decompress(decoded))
    return forms


def base64_forms(secret: str) -> list[bytes]:
    """The stable middle of the secret's base64 at each of the three byte alignments."""
    forms = []
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"x" * shift + secret.encode()).rstrip(b"=")
            forms.append(encoded[4:-4])
    return forms


def assert_unreadable(cookie: str, secret: str) -> None:
    for form in readable_forms(cookie):
        assert secret.encode() not in form
    for encoded in base64_forms(secret):
        assert encoded not in cookie.encode()


def _join(client, ref: str, contact: str):
    url = f"/e/{ref}/join"
    data = {"csrf_token": csrf_token(client, url), "display_name": "Zahra", "pledge": "y"}
    return client.post(url, data={**data, "contact": contact})


def test_the_member_token_cannot_be_read_from_the_cookie(client, make_event):
    event = make_event()
    response = _join(client, event.ref, "+12015550147")
    assert response.status_code == 302
    token = ME_LINK.search(response.headers["Location"]).group(1)
    cookie = session_cookie(response)
    assert_unreadable(cookie, token)
    # and the device still finds its group: joining again leads back to it
    again = _join(client, event.ref, "+12015550147").get_data(as_text=True)
    assert f"/me/{token}" in again


def test_the_two_factor_key_being_set_up_cannot_be_read_from_the_cookie(
    client, make_organiser, signed_in
):
    signed_in(make_organiser())
    response = client.get("/auth/account")
    key = TOTP_KEY.search(response.get_data(as_text=True)).group(1)
    assert_unreadable(session_cookie(response), key)
    # the same key is shown again from the session: it is kept, only sealed
    assert f'class="totp-key">{key}<' in client.get("/auth/account").get_data(as_text=True)


def test_a_changed_cookie_is_an_empty_session(client, make_event):
    event = make_event()
    response = _join(client, event.ref, "+12015550147")
    cookie = session_cookie(response)
    middle = len(cookie) // 2
    changed = cookie[:middle] + ("A" if cookie[middle] != "A" else "B") + cookie[middle + 1 :]
    client.set_cookie("session", changed)
    with client.session_transaction() as session:
        assert dict(session) == {}
    page = _join(client, event.ref, "+12015550147")  # the same contact again
    assert page.status_code == 200
    assert "/me/" not in page.get_data(as_text=True)  # no way back: the session is gone


def test_a_signed_cookie_from_before_is_an_empty_session_not_an_error(app, client, make_event):
    event = make_event()
    token = ME_LINK.search(_join(client, event.ref, "+12015550147").headers["Location"])[1]
    old = SecureCookieSessionInterface().get_signing_serializer(app)
    fresh = app.test_client()
    fresh.set_cookie("session", old.dumps({"memberships": {str(event.id): token}}))
    assert fresh.get(f"/e/{event.ref}/join").status_code == 200
    assert fresh.get(f"/me/{token}").status_code == 200
    page = _join(fresh, event.ref, "+12015550147")
    assert page.status_code == 200
    assert f"/me/{token}" not in page.get_data(as_text=True)
    for value in ("", "x", "...", "%%%", "a" * 4000):
        fresh.set_cookie("session", value)
        assert fresh.get(f"/e/{event.ref}/join").status_code == 200


def test_the_cookie_stays_small(client, make_campaign, make_event):
    campaign = make_campaign()
    for n in range(5):  # one device joins five events
        response = _join(client, make_event(campaign=campaign).ref, f"+1201555{n:04d}")
        assert response.status_code == 302
    assert len(session_cookie(response)) < 1000


def test_sealed_cookies_open_with_fallback_keys_and_expire():
    data = {"memberships": {"1": "t" * 32}}
    sealed = SealedCookie(["old key"]).dumps(data)
    assert SealedCookie(["new key", "old key"]).loads(sealed) == data
    with pytest.raises(BadSignature):
        SealedCookie(["new key"]).loads(sealed)
    with pytest.raises(SignatureExpired):
        SealedCookie(["old key"]).loads(sealed, max_age=-1)  # written before now + 1 s
    assert SealedCookie(["k"]).dumps(data) != SealedCookie(["k"]).dumps(data)  # fresh nonces
