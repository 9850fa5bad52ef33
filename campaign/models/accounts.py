"""Organiser accounts."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import db
from campaign.models.types import UTCDateTime, utcnow


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

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def __repr__(self) -> str:
        return f"<Organiser {self.id}>"
