"""Organiser accounts: common passwords refused, backoff after failed sign-ins, two-factor
sign-in with recovery codes, and the current password before changing email or password."""

from datetime import timedelta

import pyotp
import pytest

from campaign.accounts import service
from campaign.extensions import db
from campaign.models import utcnow
from tests.factories import PASSWORD
from tests.helpers import csrf_token, sign_in, submit


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop12", "iamhazara2026", "123456789012"]
)
def test_common_passwords_are_refused(app, password):
    with pytest.raises(service.AccountError) as error:
        service.create_organiser("new@example.org", password, "New")
    assert error.value.code == "password_too_common"


def test_a_password_made_of_the_persons_own_email_is_refused(app):
    with pytest.raises(service.AccountError) as error:
        service.create_organiser("zahra.rezaie@example.org", "zahrarezaie1", "Zahra Rezaie")
    assert error.value.code == "password_too_common"


def test_registration_says_why(client):
    url = "/auth/register"
    response = submit(
        client,
        url,
        {
            "display_name": "A",
            "email": "a@example.org",
            "password": "password1234",
            "confirm": "password1234",
        },
    )
    assert "too common or too easy to guess" in response.get_data(as_text=True)


def test_backoff_after_five_failures(app, make_organiser):
    organiser = make_organiser()
    now = utcnow()
    for _ in range(5):
        with pytest.raises(service.AccountError) as error:
            service.authenticate(organiser.email, "wrong password here", now=now)
        assert error.value.code == "bad_credentials"
    assert organiser.locked_until is not None
    # Locked: even the right password waits.
    with pytest.raises(service.AccountError) as error:
        service.authenticate(organiser.email, PASSWORD, now=now + timedelta(seconds=30))
    assert error.value.code == "locked"
    # After the wait the right password works, and the count starts again.
    assert service.authenticate(organiser.email, PASSWORD, now=now + timedelta(minutes=2))
    assert organiser.failed_sign_ins == 0 and organiser.locked_until is None


def test_the_wait_doubles_up_to_an_hour(app, make_organiser):
    organiser = make_organiser()
    now = utcnow()
    waits = []
    for _ in range(12):
        with pytest.raises(service.AccountError):
            service.authenticate(organiser.email, "wrong password here", now=now)
        if organiser.locked_until:
            waits.append(organiser.locked_until - now)
        organiser.locked_until = None  # as if the wait had passed
    minutes = [w.total_seconds() / 60 for w in waits]
    assert minutes[:4] == [1, 2, 4, 8]
    assert max(minutes) == 60


def test_the_sign_in_page_says_to_wait(client, make_organiser):
    organiser = make_organiser()
    organiser.failed_sign_ins = 5
    organiser.locked_until = utcnow() + timedelta(minutes=5)
    db.session.commit()
    response = sign_in(client, organiser.email)
    assert response.status_code == 200
    # In the one answer every refused sign-in gets (see test_guessing.py).
    assert "too many failed attempts" in response.get_data(as_text=True)


def _enable_two_factor(client, organiser) -> tuple[str, list[str]]:
    sign_in(client, organiser.email)
    page = client.get("/auth/account").get_data(as_text=True)
    secret = page.split('class="totp-key">')[1].split("<")[0]
    response = client.post(
        "/auth/account/two-factor/enable",
        data={
            "enable-csrf_token": csrf_token(client, "/auth/account"),
            "enable-code": pyotp.TOTP(secret).now(),
        },
    )
    body = response.get_data(as_text=True)
    assert "Two-factor sign-in is on" in body
    codes = [part.split("</code>")[0] for part in body.split("<code>")[1:]]
    assert len(codes) == 10
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/organise")})
    return secret, codes


def test_two_factor_sign_in(client, make_organiser):
    organiser = make_organiser()
    secret, _codes = _enable_two_factor(client, organiser)
    response = sign_in(client, organiser.email)
    assert response.headers["Location"] == "/auth/two-factor"
    assert client.get("/organise").status_code == 302  # not signed in yet
    wrong = client.post(
        "/auth/two-factor",
        data={"csrf_token": csrf_token(client, "/auth/two-factor"), "code": "000000"},
    )
    assert "That code is not right" in wrong.get_data(as_text=True)
    right = client.post(
        "/auth/two-factor",
        data={
            "csrf_token": csrf_token(client, "/auth/two-factor"),
            "code": pyotp.TOTP(secret).at(
                utcnow() + timedelta(seconds=30)
            ),  # not the one just used
        },
    )
    assert right.headers["Location"] == "/organise"
    assert client.get("/organise").status_code == 200


def test_a_recovery_code_works_once(client, make_organiser):
    organiser = make_organiser()
    _, codes = _enable_two_factor(client, organiser)
    for expected in ("/organise", None):
        sign_in(client, organiser.email)
        response = client.post(
            "/auth/two-factor",
            data={"csrf_token": csrf_token(client, "/auth/two-factor"), "code": codes[0]},
        )
        if expected:
            assert response.headers["Location"] == expected
            client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/organise")})
        else:
            assert "That code is not right" in response.get_data(as_text=True)


def test_changing_password_or_email_needs_the_current_password(client, signed_in, make_organiser):
    organiser = make_organiser()
    signed_in(organiser)
    wrong = client.post(
        "/auth/account/password",
        data={
            "password-csrf_token": csrf_token(client, "/auth/account"),
            "password-current_password": "not my password",
            "password-new_password": "violet tractor umbrella anchor",
            "password-confirm": "violet tractor umbrella anchor",
        },
    )
    assert "That is not your current password." in wrong.get_data(as_text=True)
    right = client.post(
        "/auth/account/password",
        data={
            "password-csrf_token": csrf_token(client, "/auth/account"),
            "password-current_password": PASSWORD,
            "password-new_password": "violet tractor umbrella anchor",
            "password-confirm": "violet tractor umbrella anchor",
        },
    )
    assert right.status_code == 302
    db.session.refresh(organiser)
    assert service.authenticate(organiser.email, "violet tractor umbrella anchor")
    refused = client.post(
        "/auth/account/email",
        data={
            "email-csrf_token": csrf_token(client, "/auth/account"),
            "email-email": "new.address@example.org",
            "email-current_password": PASSWORD,  # the old one
        },
    )
    assert "That is not your current password." in refused.get_data(as_text=True)
    db.session.refresh(organiser)
    assert organiser.email != "new.address@example.org"
