import pytest
from sqlalchemy import func, select

from campaign.accounts import service
from campaign.extensions import db
from campaign.models import Organiser
from tests.factories import PASSWORD


def test_passwords_are_hashed_with_argon2(make_organiser):
    organiser = make_organiser()
    assert organiser.password_hash.startswith("$argon2id$")
    assert PASSWORD not in organiser.password_hash


@pytest.mark.parametrize("password", ["", "short", "eleven char"])
def test_passwords_shorter_than_12_characters_are_refused(app, password):
    with pytest.raises(service.AccountError) as error:
        service.create_organiser("x@example.org", password, "X")
    assert error.value.code == "password_too_short"


def test_email_is_unique_whatever_its_case(make_organiser):
    make_organiser(email="Zahra@Example.org")
    with pytest.raises(service.AccountError) as error:
        service.create_organiser("zahra@example.ORG", PASSWORD, "Z")
    assert error.value.code == "email_taken"


def test_an_email_taken_between_the_check_and_the_insert_leaves_the_transaction_usable(
    make_organiser, monkeypatch
):
    """Two registrations at once on PostgreSQL both pass the check; the unique constraint
    refuses the second, and its request must still be able to commit (not a 500)."""
    make_organiser(email="same@example.org")
    db.session.commit()
    monkeypatch.setattr(service, "find_by_email", lambda email: None)  # the check raced
    with pytest.raises(service.AccountError) as error:
        service.create_organiser("same@example.org", PASSWORD, "Second")
    assert error.value.code == "email_taken"
    db.session.commit()
    assert db.session.scalar(select(func.count(Organiser.id))) == 1


def test_authenticate(make_organiser):
    organiser = make_organiser(email="z@example.org")
    assert service.authenticate("Z@example.org ", PASSWORD).id == organiser.id
    for email, password in [("z@example.org", "wrong password!"), ("nobody@example.org", PASSWORD)]:
        with pytest.raises(service.AccountError) as error:
            service.authenticate(email, password)
        assert error.value.code == "bad_credentials"


def test_ending_sessions_changes_the_session_id(make_organiser):
    organiser = make_organiser()
    before = organiser.get_id()
    assert service.load_session_organiser(before).id == organiser.id
    service.end_all_sessions(organiser)
    assert organiser.get_id() != before
    assert service.load_session_organiser(before) is None


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:", ":x", "999:x"])
def test_malformed_session_ids_load_nobody(app, session_id):
    assert service.load_session_organiser(session_id) is None


def test_production_password_hashes_use_the_rfc_9106_profile(tmp_path, monkeypatch):
    """The suite hashes cheaply (tests/conftest.py); the app's own default must not."""
    from campaign import create_app

    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    with app.app_context():
        stored = service._hasher.hash("correct horse battery staple")
        assert service._hasher.verify(stored, "correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
