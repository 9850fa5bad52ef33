from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import Organiser
from tests.factories import PASSWORD
from tests.helpers import csrf_token, sign_in


def _register(client, **overrides):
    data = {
        "display_name": "Maryam",
        "email": "maryam@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "csrf_token": csrf_token(client, "/auth/register"),
    }
    data.update(overrides)
    return client.post("/auth/register", data=data)


def _organiser_count():
    return db.session.scalar(select(func.count(Organiser.id)))


def test_register_creates_an_account_then_asks_to_sign_in(client):
    response = _register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"  # as for a taken email
    assert _organiser_count() == 1
    assert "Now sign in with this email" in client.get("/auth/login").get_data(as_text=True)
    assert sign_in(client, "maryam@example.org").headers["Location"] == "/organise"
    assert client.get("/organise").status_code == 200


def test_register_refuses_a_short_password_and_keeps_what_was_typed(client):
    response = _register(client, password="too short", confirm="too short")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use at least 12 characters." in page
    assert 'value="maryam@example.org"' in page
    assert _organiser_count() == 0


def test_register_with_a_taken_email_changes_nothing_and_says_nothing(client, make_organiser):
    organiser = make_organiser(email="maryam@example.org")
    before = organiser.password_hash
    response = _register(
        client,
        email="MARYAM@example.org",
        password="violet tractor umbrella",
        confirm="violet tractor umbrella",
    )
    assert response.headers["Location"] == "/auth/login"
    assert _organiser_count() == 1
    db.session.refresh(organiser)
    assert organiser.password_hash == before
    assert client.get("/organise").status_code == 302  # nobody signed in


def test_register_without_csrf_token_is_refused(client):
    response = _register(client, csrf_token="")
    assert response.status_code == 400
    assert _organiser_count() == 0


def test_sign_in_with_a_wrong_password_shows_a_message(client, make_organiser):
    organiser = make_organiser()
    response = sign_in(client, organiser.email, "not the password")
    assert response.status_code == 200
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/organise").status_code == 302


def test_sign_in_renews_the_session(client, make_organiser):
    organiser = make_organiser()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before sign-in"
    assert sign_in(client, organiser.email).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == organiser.get_id()


def test_sign_in_follows_only_local_next_links(client, make_organiser):
    organiser = make_organiser()
    token = csrf_token(client, "/auth/login")
    data = {"email": organiser.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/auth/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/organise"


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client, app, make_organiser):
    organiser = make_organiser()
    sign_in(client, organiser.email)
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/organise").status_code == 200
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/organise")})
    assert response.status_code == 302
    assert client.get("/organise").status_code == 302
    assert thief.get("/organise").status_code == 302


def test_organiser_pages_need_sign_in(client):
    for url in ["/organise", "/organise/events/new", "/organise/review"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")


def test_email_changes_are_rate_limited(app, client, signed_in, make_organiser):
    # The answer says whether an address has an account: not a way to try many.
    app.config["RATELIMIT_REGISTER"] = "3 per hour"
    signed_in(make_organiser())
    statuses = [
        client.post(
            "/auth/account/email",
            data={
                "email-csrf_token": csrf_token(client, "/auth/account"),
                "email-email": f"someone{n}@example.org",
                "email-current_password": "not my password",
            },
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
