"""Organiser accounts: creating them, checking passwords, signing in and out."""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from campaign.accounts import devices
from campaign.extensions import db
from campaign.models import Campaign, Organiser, OrganiserDevice, utcnow
from campaign.models.accounts import new_session_nonce
from campaign.service_errors import ServiceError
from campaign.transactions import begin_write, locked, release_lock

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: zxcvbn's score (0-4): 4 is "very unguessable" (10^10 guesses or more). 3 let through
#: "Hazara2026!!" and "Summer2026!!!" (10^8): a season or the campaign's name, the year.
MIN_PASSWORD_SCORE = 4
#: Words an attacker of this campaign tries first (with every campaign's name and slug).
GUESSABLE_WORDS = (
    "hazara",
    "iamhazara",
    "campaign",
    "organiser",
    "organizer",
    "solidarity",
    "Campaign organiser",
)
#: Failed sign-ins in a row before each further one doubles a wait (1, 2, 4 … minutes).
FREE_ATTEMPTS = 5
MAX_LOCK = timedelta(hours=1)
#: One-time recovery codes given when two-factor sign-in is turned on.
RECOVERY_CODES = 10


class ConfiguredHasher:
    """Argon2id with the app's ``PASSWORD_HASH_PARAMS`` (production: argon2-cffi's RFC 9106
    low-memory profile; the tests use cheap ones)."""

    def __init__(self):
        self._by_params: dict[tuple, tuple[PasswordHasher, str]] = {}

    def _current(self) -> tuple[PasswordHasher, str]:
        params = current_app.config["PASSWORD_HASH_PARAMS"]
        key = tuple(sorted(params.items()))
        if key not in self._by_params:
            hasher = PasswordHasher(**params)
            # Verified against when the email is unknown, so both cases take the same time.
            self._by_params[key] = (hasher, hasher.hash("not a real password, for timing"))
        return self._by_params[key]

    def hash(self, password: str) -> str:
        return self._current()[0].hash(password)

    def verify(self, stored: str, password: str) -> bool:
        return self._current()[0].verify(stored, password)

    def check_needs_rehash(self, stored: str) -> bool:
        return self._current()[0].check_needs_rehash(stored)

    def dummy_hash(self) -> str:
        return self._current()[1]


_hasher = ConfiguredHasher()


class AccountError(ServiceError):
    """A rule about accounts was broken; ``code`` says which."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Organiser | None:
    return db.session.scalar(
        select(Organiser).where(func.lower(Organiser.email) == normalise_email(email))
    )


def guessable_texts() -> list[str]:
    """What someone guessing an organiser's password tries first: this site's and every
    campaign's name and slug, and the years around now."""
    year = utcnow().year
    texts = [*GUESSABLE_WORDS, current_app.config.get("TOTP_ISSUER", "campaign")]
    texts += [str(y) for y in (year - 1, year, year + 1)]
    for name, slug in db.session.execute(select(Campaign.name, Campaign.slug)):
        texts += [name, slug]
    return texts


def _hints(texts) -> list[str]:
    """Each text, its words and its words run together ("I AM HAZARA" → "iamhazara")."""
    hints = []
    for text in texts:
        words = [w for w in re.split(r"[\W_]+", text.lower()) if len(w) > 2 or w.isdigit()]
        hints += [text.lower(), *words, "".join(words)]
    return list(dict.fromkeys(h for h in hints if h))


def check_password_rules(password: str, *, about: tuple[str, ...] = ()) -> None:
    """Long enough, and not a common or easily guessed password (zxcvbn's lists of leaked
    passwords, names and words, the site's and campaigns' names and words
    (``guessable_texts``), and ``about``: the person's own email and name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password_too_long")
    hints = _hints([*guessable_texts(), *about])
    release_lock()  # zxcvbn and the hash that follows are slow: no lock held over them
    if zxcvbn(password, user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        raise AccountError("password_too_common")


def create_organiser(
    email: str, password: str, display_name: str, *, is_admin: bool = False
) -> Organiser:
    """A new account. ``email_taken`` comes only after the same work as a new account (the
    password hashed), so the time taken does not tell whether an email has an account."""
    check_password_rules(password, about=(email.split("@")[0], display_name))
    password_hash = _hasher.hash(password)
    begin_write()
    if find_by_email(email) is not None:
        raise AccountError("email_taken")
    try:
        # Two registrations at once on PostgreSQL both find the email free (no write lock
        # there): the unique constraint decides, inside a savepoint so that the refusal
        # leaves the transaction usable. begin_nested() flushes what is pending before its
        # SAVEPOINT, so the new row is added only inside it.
        with db.session.begin_nested():
            organiser = Organiser(
                email=normalise_email(email),
                password_hash=password_hash,
                display_name=display_name.strip(),
                is_admin=is_admin,
            )
            db.session.add(organiser)
    except IntegrityError:
        raise AccountError("email_taken") from None
    return organiser


def _password_matches(organiser: Organiser | None, password: str) -> bool:
    """Verified with no lock held: the hash is the slow part of every sign-in."""
    stored = organiser.password_hash if organiser else _hasher.dummy_hash()
    release_lock()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return organiser is not None


def authenticate(
    email: str, password: str, *, device: str | None = None, now: datetime | None = None
) -> Organiser:
    """The organiser with this email and password.

    Failures count per device (OWASP's device cookies): ``device`` is the browser's device
    cookie; on one of the organiser's own devices only that device's failures count, on any
    other device the failures of all unknown devices together. After five in a row, each
    further attempt waits twice as long (up to an hour). A correct password alone does not
    reset the count when a second factor is still to come.

    Raises ``locked`` while waiting, ``bad_credentials`` otherwise; the caller commits either
    way, so failures are counted. An unknown email costs the same password hash."""
    now = now or utcnow()
    organiser = find_by_email(email)
    matches = _password_matches(organiser, password)  # outside the lock: it is the slow part
    if organiser is None:
        raise AccountError("bad_credentials")
    throttle = _lock_throttle(organiser, device, now)
    if not matches:
        _count_failure(throttle, now)
        raise AccountError("bad_credentials")
    if not organiser.has_two_factor:
        _clear(throttle)
    if _hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = _hasher.hash(password)
    return organiser


def _lock_throttle(
    organiser: Organiser, device: str | None, now: datetime
) -> Organiser | OrganiserDevice:
    """Lock the organiser's row (every sign-in step of one account, one at a time) and
    return the row this attempt counts on: the known device's own, or the organiser's for
    unknown devices. Raises ``locked`` while that row must wait."""
    begin_write()
    locked(Organiser, organiser.id)
    known = devices.recognise(organiser, device, now=now)
    throttle = locked(OrganiserDevice, known.id) if known else organiser
    if throttle.locked_until and throttle.locked_until > now:
        raise AccountError("locked")
    return throttle


def _count_failure(throttle: Organiser | OrganiserDevice, now: datetime) -> None:
    # Read under the row lock, so concurrent failures each count.
    throttle.failed_sign_ins += 1
    extra = throttle.failed_sign_ins - FREE_ATTEMPTS
    if extra >= 0:
        throttle.locked_until = now + min(timedelta(minutes=2**extra), MAX_LOCK)


def _clear(throttle: Organiser | OrganiserDevice) -> None:
    throttle.failed_sign_ins = 0
    throttle.locked_until = None


def change_password(organiser: Organiser, current: str, new: str) -> None:
    """Needs the current password; ends every other session and forgets every device (the
    caller remembers this one again)."""
    if not _password_matches(organiser, current):
        raise AccountError("wrong_password")
    check_password_rules(new, about=(organiser.email.split("@")[0], organiser.display_name))
    new_hash = _hasher.hash(new)  # check_password_rules released the lock for this
    organiser.password_hash = new_hash
    end_all_sessions(organiser)
    devices.forget_all(organiser)


def change_email(organiser: Organiser, current_password: str, email: str) -> None:
    if not _password_matches(organiser, current_password):
        raise AccountError("wrong_password")
    begin_write()
    existing = find_by_email(email)
    if existing is not None and existing.id != organiser.id:
        raise AccountError("email_taken")
    organiser.email = normalise_email(email)


# --- two-factor sign-in (TOTP, RFC 6238) ----------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(organiser: Organiser, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=organiser.email, issuer_name=issuer)


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def _code_step(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """The time step (of now, the one before or the one after) whose code this is, if it
    is later than ``after``."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enable_two_factor(
    organiser: Organiser, secret: str, code: str, *, now: datetime | None = None
) -> list[str]:
    """Turn on two-factor sign-in once the app shows the right code; returns recovery codes
    (shown once, stored hashed)."""
    step = _code_step(secret, code.strip(), now or utcnow(), after=None)
    if step is None:
        raise AccountError("bad_code")
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    organiser.totp_secret = secret
    organiser.totp_enabled_at = utcnow()
    organiser.totp_last_step = step  # the code just shown does not sign anyone in
    organiser.recovery_code_hashes = " ".join(_hash_code(c) for c in codes)
    return codes


def check_second_factor(
    organiser: Organiser, code: str, *, device: str | None = None, now: datetime | None = None
) -> None:
    """A code from the authenticator app not used before, or an unused recovery code (then
    used up). Wrong codes count as failed sign-ins, on the same counter as the password
    (see ``authenticate``); the right one resets it."""
    now = now or utcnow()
    throttle = _lock_throttle(organiser, device, now)
    code = "".join(code.split())
    step = None
    if organiser.totp_secret:
        step = _code_step(organiser.totp_secret, code, now, after=organiser.totp_last_step)
    if step is not None:
        organiser.totp_last_step = step
    elif not _use_recovery_code(organiser, code):
        _count_failure(throttle, now)
        raise AccountError("bad_code")
    _clear(throttle)


def _use_recovery_code(organiser: Organiser, code: str) -> bool:
    hashes = organiser.recovery_code_hashes.split()
    digest = _hash_code(code)
    if digest not in hashes:
        return False
    hashes.remove(digest)
    organiser.recovery_code_hashes = " ".join(hashes)
    return True


def disable_two_factor(organiser: Organiser, password: str) -> None:
    if not _password_matches(organiser, password):
        raise AccountError("wrong_password")
    organiser.totp_secret = None
    organiser.totp_enabled_at = None
    organiser.totp_last_step = None
    organiser.recovery_code_hashes = ""


def end_all_sessions(organiser: Organiser) -> None:
    """Sign the organiser out everywhere: every session cookie names the old nonce."""
    organiser.session_nonce = new_session_nonce()


def load_session_organiser(session_id: str) -> Organiser | None:
    organiser_id, _, nonce = session_id.partition(":")
    if not organiser_id.isdigit() or not nonce:
        return None
    organiser = db.session.get(Organiser, int(organiser_id))
    if organiser is None or organiser.session_nonce != nonce:
        return None
    return organiser
