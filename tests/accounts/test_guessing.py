"""Sign-in guessing: wrong two-factor codes count and are not reset by the password, no code
works twice, guesses from elsewhere never lock the organiser's own devices out (OWASP's
device cookies), one answer whoever the email belongs to, and campaign words refused in
passwords."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from campaign.accounts import service
from campaign.extensions import db
from campaign.models import Organiser, utcnow
from tests.factories import PASSWORD
from tests.helpers import csrf_token, race, sign_in

DEVICE_COOKIE = "organiser_device"
WRONG = "wrong password here"


@pytest.fixture(autouse=True)
def _no_address_limit(app):
    # The per-address rate limit is tested in test_abuse.py; here, the per-account counters.
    app.config["RATELIMIT_SIGN_IN"] = "1000 per minute"
    app.config["RATELIMIT_REGISTER"] = "1000 per minute"


def with_two_factor(organiser: Organiser) -> pyotp.TOTP:
    secret = service.new_totp_secret()
    totp = pyotp.TOTP(secret)
    service.enable_two_factor(organiser, secret, totp.now())
    db.session.commit()
    return totp


def wrong_code(totp: pyotp.TOTP) -> str:
    step = totp.timecode(utcnow())
    valid = {totp.generate_otp(step + i) for i in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def refused(call) -> str | None:
    try:
        call()
    except service.AccountError as error:
        return error.code
    return None


def device_cookie(client) -> str | None:
    cookie = client.get_cookie(DEVICE_COOKIE, path="/auth")
    return cookie.value if cookie else None


def sign_out(client) -> None:
    if client.get("/organise").status_code == 200:  # signed in
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/organise")})


# --- two-factor codes ----------------------------------------------------------------------


def test_wrong_codes_count_and_a_correct_password_does_not_reset_them(app, make_organiser):
    organiser = make_organiser()
    totp = with_two_factor(organiser)
    code = wrong_code(totp)
    outcomes = []
    for _round in range(3):  # 4 wrong codes, the password again, repeat
        outcomes.append(refused(lambda: service.authenticate(organiser.email, PASSWORD)))
        db.session.commit()
        for _ in range(4):
            outcomes.append(refused(lambda: service.check_second_factor(organiser, code)))
            db.session.commit()
    assert outcomes[:6] == [None, "bad_code", "bad_code", "bad_code", "bad_code", None]
    assert outcomes[6] == "bad_code"  # the fifth wrong code: the wait starts
    assert "locked" in outcomes[7:]
    # Now neither the password nor a right code gets in until the wait is over.
    assert refused(lambda: service.authenticate(organiser.email, PASSWORD)) == "locked"
    assert refused(lambda: service.check_second_factor(organiser, totp.now())) == "locked"


def test_a_code_is_refused_after_its_first_use(app, make_organiser):
    organiser = make_organiser()
    totp = with_two_factor(organiser)
    # The code that turned two-factor on signs nobody in.
    assert refused(lambda: service.check_second_factor(organiser, totp.now())) == "bad_code"
    later = utcnow() + timedelta(seconds=30)
    code = totp.at(later)
    assert refused(lambda: service.check_second_factor(organiser, code, now=later)) is None
    db.session.commit()
    assert refused(lambda: service.check_second_factor(organiser, code, now=later)) == "bad_code"
    # Nor an earlier one still inside the window.
    earlier = totp.at(later - timedelta(seconds=30))
    assert refused(lambda: service.check_second_factor(organiser, earlier, now=later)) == (
        "bad_code"
    )


def test_a_code_is_refused_after_its_first_use_through_the_pages(client, make_organiser):
    organiser = make_organiser()
    totp = with_two_factor(organiser)
    later = utcnow() + timedelta(seconds=30)  # not the step that turned it on
    code = totp.at(later)
    pages = []
    for _ in range(2):
        assert sign_in(client, organiser.email).headers["Location"] == "/auth/two-factor"
        token = csrf_token(client, "/auth/two-factor")
        pages.append(client.post("/auth/two-factor", data={"csrf_token": token, "code": code}))
        sign_out(client)
    assert pages[0].headers["Location"] == "/organise"
    assert pages[1].status_code == 200
    assert "That code is not right" in pages[1].get_data(as_text=True)


# --- devices -------------------------------------------------------------------------------


def test_guesses_from_elsewhere_never_lock_out_the_organisers_own_device(app, make_organiser):
    organiser = make_organiser()
    own = app.test_client()
    assert sign_in(own, organiser.email).status_code == 302
    sign_out(own)
    attacker = app.test_client()
    for _ in range(10):
        assert sign_in(attacker, organiser.email, WRONG).status_code == 200
    # Unknown devices now wait, even with the right password...
    assert sign_in(attacker, organiser.email).status_code == 200
    # ...but the organiser's own device is let in.
    assert sign_in(own, organiser.email).status_code == 302
    assert own.get("/organise").status_code == 200


def test_a_known_devices_own_failures_lock_only_that_device(app, make_organiser):
    organiser = make_organiser()
    own = app.test_client()
    assert sign_in(own, organiser.email).status_code == 302
    sign_out(own)
    for _ in range(6):
        sign_in(own, organiser.email, WRONG)
    assert sign_in(own, organiser.email).status_code == 200  # waits
    assert sign_in(app.test_client(), organiser.email).status_code == 302


def test_wrong_codes_on_an_unknown_device_do_not_lock_the_known_one(app, make_organiser):
    organiser = make_organiser()
    own = app.test_client()
    assert sign_in(own, organiser.email).status_code == 302
    sign_out(own)
    totp = with_two_factor(organiser)
    attacker = app.test_client()  # knows the password, guesses codes
    guesses = 0
    while sign_in(attacker, organiser.email).status_code == 302 and guesses < 20:
        for _ in range(4):
            token = csrf_token(attacker, "/auth/two-factor")
            attacker.post("/auth/two-factor", data={"csrf_token": token, "code": wrong_code(totp)})
            guesses += 1
    assert guesses <= 8  # the fifth wrong code started the wait
    assert sign_in(own, organiser.email).headers["Location"] == "/auth/two-factor"
    later = utcnow() + timedelta(seconds=30)
    token = csrf_token(own, "/auth/two-factor")
    response = own.post("/auth/two-factor", data={"csrf_token": token, "code": totp.at(later)})
    assert response.headers["Location"] == "/organise"


def test_the_device_cookie_is_signed_bound_to_the_account_and_renewed(app, make_organiser):
    from campaign.accounts import devices

    zahra, ali = make_organiser(), make_organiser()
    now = utcnow()
    first = devices.remember(zahra, None, now=now)
    db.session.commit()
    assert devices.recognise(zahra, first, now=now) is not None
    assert devices.recognise(ali, first, now=now) is None  # another account's device
    forged = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    assert devices.recognise(zahra, forged, now=now) is None
    assert devices.recognise(zahra, "not a cookie", now=now) is None
    assert devices.recognise(zahra, first, now=now + timedelta(days=400)) is None  # too old
    # Signing in again on the device gives it a new cookie; the old copy stops working.
    second = devices.remember(zahra, first, now=now)
    db.session.commit()
    assert devices.recognise(zahra, second, now=now) is not None
    assert devices.recognise(zahra, first, now=now) is None


def test_an_organiser_keeps_at_most_ten_devices_the_least_used_forgotten(app, make_organiser):
    from campaign.accounts import devices
    from campaign.models import OrganiserDevice

    organiser = make_organiser()
    start = utcnow()
    cookies = [
        devices.remember(organiser, None, now=start + timedelta(minutes=n)) for n in range(12)
    ]
    db.session.commit()
    now = start + timedelta(hours=1)
    assert db.session.scalar(select(func.count(OrganiserDevice.id))) == devices.MAX_DEVICES
    assert [devices.recognise(organiser, c, now=now) is not None for c in cookies] == [
        False,
        False,
    ] + [True] * 10


def test_the_device_cookie_is_httponly_long_lived_and_secure_on_https(app, make_organiser):
    organiser = make_organiser()
    token_url = "/auth/login"
    for base_url, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        page = client.get(token_url, base_url=base_url).get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post(
            token_url,
            base_url=base_url,
            headers={"Referer": f"{base_url}{token_url}"},
            data={"email": organiser.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        header = next(
            h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE)
        )
        flags = {part.strip().split("=")[0].lower(): part for part in header.split(";")}
        assert "httponly" in flags
        assert ("secure" in flags) is secure
        assert flags["path"].strip() == "Path=/auth"
        assert flags["samesite"].strip() == "SameSite=Lax"
        assert int(flags["max-age"].split("=")[1]) >= 300 * 24 * 3600


def test_a_password_change_forgets_every_other_device(app, make_organiser):
    from campaign.accounts import devices

    organiser = make_organiser()
    phone, laptop = app.test_client(), app.test_client()
    for client in (phone, laptop):
        assert sign_in(client, organiser.email).status_code == 302
    old_phone = device_cookie(phone)
    new_password = "violet tractor umbrella anchor"
    response = laptop.post(
        "/auth/account/password",
        data={
            "password-csrf_token": csrf_token(laptop, "/auth/account"),
            "password-current_password": PASSWORD,
            "password-new_password": new_password,
            "password-confirm": new_password,
        },
    )
    assert response.status_code == 302
    db.session.refresh(organiser)
    now = utcnow()
    assert devices.recognise(organiser, old_phone, now=now) is None
    assert devices.recognise(organiser, device_cookie(laptop), now=now) is not None
    assert laptop.get("/auth/account").status_code == 200  # still signed in here


# --- one answer whoever the email belongs to ------------------------------------------------


class CountingHasher:
    """The real password hasher, counting the (slow) hashes it computes."""

    def __init__(self, real):
        self.real = real
        self.calls = 0

    def hash(self, *args, **kwargs):
        self.calls += 1
        return self.real.hash(*args, **kwargs)

    def verify(self, *args, **kwargs):
        self.calls += 1
        return self.real.verify(*args, **kwargs)

    def check_needs_rehash(self, *args, **kwargs):
        return self.real.check_needs_rehash(*args, **kwargs)

    def dummy_hash(self):
        return self.real.dummy_hash()


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(service._hasher)
    monkeypatch.setattr(service, "_hasher", counting)
    return counting


ERROR = re.compile(r'<p class="error" id="password-error">(.*?)</p>', re.S)


def test_sign_in_gives_one_answer_for_unknown_emails_wrong_passwords_and_waits(
    client, make_organiser, hasher
):
    locked = make_organiser()
    locked.failed_sign_ins = 5
    locked.locked_until = utcnow() + timedelta(minutes=5)
    other = make_organiser()
    db.session.commit()
    answers, hashes = [], []
    for email, password in [
        (locked.email, PASSWORD),  # a real account, waiting
        ("nobody.here@example.org", PASSWORD),  # no account
        (other.email, WRONG),  # a real account, wrong password
    ]:
        hasher.calls = 0
        response = sign_in(client, email, password)
        assert response.status_code == 200
        answers.append(ERROR.search(response.get_data(as_text=True)).group(1))
        hashes.append(hasher.calls)
    assert len(set(answers)) == 1, answers
    assert "Wrong email or password" in answers[0]
    assert hashes == [1, 1, 1]  # the same slow work each time


def test_sign_in_for_an_unknown_email_never_says_it_is_locked(client, make_organiser):
    make_organiser()
    pages = [sign_in(client, "nobody.here@example.org", WRONG) for _ in range(8)]
    answers = {ERROR.search(p.get_data(as_text=True)).group(1) for p in pages}
    organiser = make_organiser()
    real = [sign_in(client, organiser.email, WRONG) for _ in range(8)]
    answers |= {ERROR.search(p.get_data(as_text=True)).group(1) for p in real}
    assert len(answers) == 1, answers


def _register(client, email: str):
    return client.post(
        "/auth/register",
        data={
            "display_name": "Maryam",
            "email": email,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_token(client, "/auth/register"),
        },
    )


def test_registration_answers_the_same_for_a_new_and_a_taken_email(app, make_organiser, hasher):
    make_organiser(email="taken@example.org")
    answers = []
    for email in ("new.person@example.org", "TAKEN@example.org"):
        client = app.test_client()
        hasher.calls = 0
        response = _register(client, email)
        answers.append(
            (
                response.status_code,
                response.headers.get("Location"),
                hasher.calls,
                client.get(response.headers["Location"]).get_data(as_text=True).split("<main")[1],
            )
        )
    assert answers[0][:3] == answers[1][:3] == (302, "/auth/login", 1)
    # The page after it too, but for the form's one-time token.
    pages = [re.sub(r'value="[^"]{40,}"', "", a[3]) for a in answers]
    assert pages[0] == pages[1]
    assert "An account with this email already exists" not in pages[1]
    owners = db.session.scalar(
        select(func.count(Organiser.id)).where(Organiser.email == "taken@example.org")
    )
    assert owners == 1
    assert service.authenticate("new.person@example.org", PASSWORD)


# --- passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Hazara2026!!", "Summer2026!!!", "Uyghurs2026!!"])
def test_campaign_words_seasons_and_years_are_refused(app, make_campaign, password):
    make_campaign(name="I AM HAZARA", slug="i-am-hazara")
    make_campaign(name="Stand with Uyghurs", slug="stand-with-uyghurs")
    with pytest.raises(service.AccountError) as error:
        service.create_organiser("someone@example.org", password, "Someone")
    assert error.value.code == "password_too_common"


def test_a_long_unrelated_password_is_still_accepted(app, make_campaign):
    make_campaign(name="I AM HAZARA", slug="i-am-hazara")
    assert service.create_organiser("someone@example.org", "violet tractor umbrella", "S")


# --- counters under concurrency ------------------------------------------------------------

THREADS = 12


def _race(app, work) -> list[str | None]:
    """``work(i)`` in THREADS threads at once, each committed as the view does (failures
    too: they count): None when it got in, or the code it was refused with."""
    return race(app, work, threads=THREADS, refusals=(service.AccountError,))


def _failures(organiser_id: int) -> int:
    return db.session.scalar(select(Organiser.failed_sign_ins).where(Organiser.id == organiser_id))


def test_wrong_passwords_at_once_are_each_counted(app, make_organiser, monkeypatch):
    monkeypatch.setattr(service, "FREE_ATTEMPTS", 100)  # no wait yet: every one must count
    organiser = make_organiser()
    email, organiser_id = organiser.email, organiser.id
    outcomes = _race(app, lambda i: service.authenticate(email, f"{WRONG} {i}"))
    assert outcomes == ["bad_credentials"] * THREADS, outcomes
    assert _failures(organiser_id) == THREADS


def test_wrong_passwords_at_once_meet_the_wait_after_five(app, make_organiser):
    organiser = make_organiser()
    email, organiser_id = organiser.email, organiser.id
    outcomes = _race(app, lambda i: service.authenticate(email, f"{WRONG} {i}"))
    assert sorted(outcomes) == ["bad_credentials"] * 5 + ["locked"] * (THREADS - 5), outcomes
    assert _failures(organiser_id) == 5


def test_one_code_sent_many_times_at_once_signs_in_once(app, make_organiser):
    organiser = make_organiser()
    totp = with_two_factor(organiser)
    organiser_id = organiser.id
    later = utcnow() + timedelta(seconds=30)
    code = totp.at(later)

    def send(i):
        service.check_second_factor(db.session.get(Organiser, organiser_id), code, now=later)

    outcomes = _race(app, send)
    assert outcomes.count(None) == 1, outcomes
    # The others are wrong codes now (and count: after five, the rest wait).
    assert sorted(o for o in outcomes if o) == ["bad_code"] * 5 + ["locked"] * 6, outcomes


def test_one_email_registered_many_times_at_once_makes_one_account(app):
    outcomes = _race(
        app, lambda i: service.create_organiser("same@example.org", PASSWORD, f"Person {i}")
    )
    assert sorted(outcomes, key=str) == [None] + ["email_taken"] * (THREADS - 1), outcomes
    assert db.session.scalar(select(func.count(Organiser.id))) == 1
