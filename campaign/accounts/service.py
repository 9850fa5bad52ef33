"""Organiser accounts: creating them, checking passwords, signing in and out."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import Organiser
from campaign.models.accounts import new_session_nonce

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

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


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_too_short")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("password_too_long")


def create_organiser(
    email: str, password: str, display_name: str, *, is_admin: bool = False
) -> Organiser:
    check_password_rules(password)
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


def authenticate(email: str, password: str) -> Organiser:
    organiser = find_by_email(email)
    try:
        _hasher.verify(organiser.password_hash if organiser else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise AccountError("bad_credentials") from None
    if organiser is None:
        raise AccountError("bad_credentials")
    if _hasher.check_needs_rehash(organiser.password_hash):
        organiser.password_hash = _hasher.hash(password)
    return organiser


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
