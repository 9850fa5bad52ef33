"""Organiser accounts."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import db
from campaign.models.types import EncryptedText, UTCDateTime, utcnow


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class Organiser(UserMixin, db.Model):
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
    #: Failed sign-ins in a row; each one past the fifth doubles the wait before the next.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: TOTP (RFC 6238) secret for two-factor sign-in, encrypted at rest; None: not set up.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Space-separated SHA-256 hashes of the unused one-time recovery codes.
    recovery_code_hashes: Mapped[str] = mapped_column(Text, default="")

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def __repr__(self) -> str:
        return f"<Organiser {self.id}>"
