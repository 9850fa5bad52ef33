"""Organiser accounts and the devices they signed in on."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model
from campaign.models.types import EncryptedText, UTCDateTime, utcnow


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class Organiser(UserMixin, Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased; the unique sign-in name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    #: Site administrator: may create campaigns and administer every campaign.
    is_admin: Mapped[bool] = mapped_column(default=False)
    #: Part of the session id; replaced at sign-out so old session cookies stop working.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Failed sign-ins (wrong passwords and wrong codes) in a row from devices the organiser
    #: has not signed in on before; each one past the fifth doubles their wait. The
    #: organiser's own devices count their failures in ``OrganiserDevice`` instead.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: TOTP (RFC 6238) secret for two-factor sign-in, encrypted at rest; None: not set up.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The time step (Unix time // 30) of the last code accepted: a code of that step or an
    #: earlier one is refused, so no code works twice.
    totp_last_step: Mapped[int | None]
    #: Space-separated SHA-256 hashes of the unused one-time recovery codes.
    recovery_code_hashes: Mapped[str] = mapped_column(Text, default="")

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def __repr__(self) -> str:
        return f"<Organiser {self.id}>"


class OrganiserDevice(Model):
    """A browser the organiser signed in on (it holds a signed cookie naming ``token_hash``'s
    token). Its sign-in failures are its own, so guesses from elsewhere never lock it out."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organiser.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the cookie's random token: a copy of the database names no usable cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OrganiserDevice {self.id}>"
