"""Contacts at rest: encrypted in the database file, still one per event, keys rotatable,
and every view of them logged for the campaign's admins."""

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from campaign import crypto
from campaign.extensions import db
from campaign.groups import service
from campaign.models import ContactAccess, Membership
from tests.factories import volunteer
from tests.helpers import sign_in

PHONE = "+12015550142"
EMAIL = "zahra.private@example.org"


def _raw_contacts() -> list[str]:
    return list(db.session.scalars(text("SELECT contact FROM membership")))


def test_the_database_holds_no_contact_in_clear(app, make_event, database_url):
    event = make_event(country="US")
    service.start_group(event, volunteer(contact="(201) 555-0142"))
    service.join_any_group(event, volunteer(contact=EMAIL))
    db.session.commit()
    raw = _raw_contacts()
    assert len(raw) == 2 and all(value.startswith("gAAAA") for value in raw)  # Fernet tokens
    assert {m.contact for m in db.session.scalars(select(Membership))} == {PHONE, EMAIL}
    if database_url.startswith("sqlite"):
        db.session.remove()
        db.engine.dispose()  # checkpoint the WAL into the file
        path = database_url.removeprefix("sqlite:///")
        everything = b"".join(
            Path(p).read_bytes() for p in (path, path + "-wal") if Path(p).exists()
        )
        for needle in (b"2015550142", b"555-0142", b"zahra.private", EMAIL.encode()):
            assert needle not in everything


def test_duplicates_are_still_caught(make_event):
    event = make_event(country="US")
    service.start_group(event, volunteer(contact=PHONE))
    db.session.commit()
    with pytest.raises(service.SignUpError) as error:
        service.join_any_group(event, volunteer(contact="201-555-0142"))
    assert error.value.code == "already_joined"


def test_keys_rotate(app, runner, make_event):
    event = make_event(country="US")
    service.start_group(event, volunteer(contact=PHONE))
    db.session.commit()
    old_token = _raw_contacts()[0]
    old_keys = crypto.keys_from_config(app.config["CONTACT_ENCRYPTION_KEYS"])
    new_key = Fernet.generate_key()
    app.config["CONTACT_ENCRYPTION_KEYS"] = [new_key, *old_keys]
    crypto.init_app(app)
    result = runner.invoke(args=["rotate-contact-key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 contacts" in result.output
    db.session.expire_all()
    new_token = _raw_contacts()[0]
    assert new_token != old_token
    assert Fernet(new_key).decrypt(new_token.encode()).decode() == PHONE
    app.config["CONTACT_ENCRYPTION_KEYS"] = [new_key]  # the old key can go now
    crypto.init_app(app)
    assert db.session.scalar(select(Membership)).contact == PHONE


def test_a_contact_without_its_key_is_an_error_not_garbage(app, make_event):
    event = make_event(country="US")
    service.start_group(event, volunteer(contact=PHONE))
    db.session.commit()
    app.config["CONTACT_ENCRYPTION_KEYS"] = [Fernet.generate_key()]
    crypto.init_app(app)
    db.session.expire_all()
    with pytest.raises(crypto.ContactKeyError):
        db.session.scalar(select(Membership)).contact  # noqa: B018


def test_campaign_admins_see_who_saw_contacts(client, signed_in, make_event, make_organiser):
    event = make_event()
    service.start_group(event, volunteer())
    db.session.commit()
    organiser = event.organiser
    signed_in(organiser)
    client.get(f"/organise/events/{event.ref}/board")
    client.get(f"/organise/events/{event.ref}/signups.csv")
    assert db.session.scalar(select(func.count(ContactAccess.id))) == 2
    url = f"/organise/campaigns/{event.campaign.slug}/contact-log"
    assert client.get(url).status_code == 404  # an organiser, not a campaign admin
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    sign_in(client, event.campaign.admins[0].email)
    page = client.get(url)
    assert page.headers["Cache-Control"] == "no-store"
    body = page.get_data(as_text=True)
    assert organiser.email in body
    assert "Exported sign-ups (CSV)" in body and "Opened the board" in body
    assert event.title in body


def _token(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client, "/organise")
