"""Organiser accounts: creating them, checking passwords, signing in and out."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from zxcvbn import zxcvbn

from campaign.extensions import db
from campaign.models import Organiser, utcnow
from campaign.models.accounts import new_session_nonce

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: zxcvbn's score (0-4): 3 is "safely unguessable: moderate protection from offline attacks".
MIN_PASSWORD_SCORE = 3
#: Words an attacker of this campaign tries first.
GUESSABLE_WORDS = ("hazara", "iamhazara", "campaign", "organiser", "organizer", "solidarity")
#: Failed sign-ins in a row before each further one doubles a wait (1, 2, 4 … minutes).
FREE_ATTEMPTS = 5
MAX_LOCK = timedelta(hours=1)
#: One-time recovery codes given when two-factor sign-in is turned on.
RECOVERY_CODES = 10

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountError(Exception):
    """A rule about accounts was broken; ``code`` says which."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> Organiser | None:
    return db.session.scalar(
        select(Organiser).where(func.lower(Organiser.email) == normalise_email(email))
    )


def check_password_rules(password: str, *, about: tuple[str, ...] = ()) -> None:
    """Long enough, and not a common or easily guessed password (zxcvbn's lists of leaked
    passwords, names and words, and ``about``: the person's own email and name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password_too_long")
    hints = list(GUESSABLE_WORDS)
    for text in about:
        words = [w for w in re.split(r"[\W_]+", text.lower()) if len(w) > 2]
        hints += [text, *words, "".join(words)]
    if zxcvbn(password, user_inputs=[h for h in hints if h])["score"] < MIN_PASSWORD_SCORE:
        raise AccountError("password_too_common")


def create_organiser(
    email: str, password: str, display_name: str, *, is_admin: bool = False
) -> Organiser:
    check_password_rules(password, about=(email.split("@")[0], display_name))
    if find_by_email(email) is not None:
        raise AccountError("email_taken")
    organiser = Organiser(
        email=normalise_email(email),
        password_hash=_hasher.hash(password),
        display_name=display_name.strip(),
        is_admin=is_admin,
    )
    db.session.add(organiser)
    db.session.flush()
    return organiser


def _password_matches(organiser: Organiser | None, password: str) -> bool:
    try:
        _hasher.verify(organiser.password_hash if organiser else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return organiser is not None


def authenticate(email: str, password: str, *, now: datetime | None = None) -> Organiser:
    """The organiser with this email and password. After five failures in a row, each
    further attempt waits twice as long (up to an hour), whoever makes it.

    Raises ``locked`` while waiting, ``bad_credentials`` otherwise; the caller commits either
    way, so failures are counted."""
    now = now or utcnow()
    organiser = find_by_email(email)
    if organiser is not None and organiser.locked_until and organiser.locked_until > now:
        raise AccountError("locked")
    if not _password_matches(organiser, password):
        if organiser is not None:
            _count_failure(organiser, now)
        raise AccountError("bad_credentials")
    organiser.failed_sign_ins = 0
    organiser.locked_until = None
    if _hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = _hasher.hash(password)
    return organiser


def _count_failure(organiser: Organiser, now: datetime) -> None:
    organiser.failed_sign_ins += 1
    extra = organiser.failed_sign_ins - FREE_ATTEMPTS
    if extra >= 0:
        organiser.locked_until = now + min(timedelta(minutes=2**extra), MAX_LOCK)


def change_password(organiser: Organiser, current: str, new: str) -> None:
    """Needs the current password; ends every other session."""
    if not _password_matches(organiser, current):
        raise AccountError("wrong_password")
    check_password_rules(new, about=(organiser.email.split("@")[0], organiser.display_name))
    organiser.password_hash = _hasher.hash(new)
    end_all_sessions(organiser)


def change_email(organiser: Organiser, current_password: str, email: str) -> None:
    if not _password_matches(organiser, current_password):
        raise AccountError("wrong_password")
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


def enable_two_factor(organiser: Organiser, secret: str, code: str) -> list[str]:
    """Turn on two-factor sign-in once the app shows the right code; returns recovery codes
    (shown once, stored hashed)."""
    if not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        raise AccountError("bad_code")
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    organiser.totp_secret = secret
    organiser.totp_enabled_at = utcnow()
    organiser.recovery_code_hashes = " ".join(_hash_code(c) for c in codes)
    return codes


def check_second_factor(organiser: Organiser, code: str, *, now: datetime | None = None) -> None:
    """A code from the authenticator app, or an unused recovery code (then used up).
    Wrong codes count as failed sign-ins (same backoff)."""
    now = now or utcnow()
    if organiser.locked_until and organiser.locked_until > now:
        raise AccountError("locked")
    code = code.strip()
    if organiser.totp_secret and pyotp.TOTP(organiser.totp_secret).verify(code, valid_window=1):
        organiser.failed_sign_ins = 0
        organiser.locked_until = None
        return
    hashes = organiser.recovery_code_hashes.split()
    digest = _hash_code(code)
    if digest in hashes:
        hashes.remove(digest)
        organiser.recovery_code_hashes = " ".join(hashes)
        return
    _count_failure(organiser, now)
    raise AccountError("bad_code")


def disable_two_factor(organiser: Organiser, password: str) -> None:
    if not _password_matches(organiser, password):
        raise AccountError("wrong_password")
    organiser.totp_secret = None
    organiser.totp_enabled_at = None
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
