"""Campaigns and who administers them."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, LargeBinary, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.extensions import Model, db
from campaign.models.accounts import Organiser
from campaign.models.group_sizes import (
    ABSOLUTE_MIN_GROUP_SIZE,
    DEFAULT_MAX_GROUP_SIZE,
)
from campaign.models.types import UTCDateTime, utcnow

DEFAULT_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 365

campaign_admin = Table(
    "campaign_admin",
    db.metadata,
    Column("campaign_id", ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    Column("organiser_id", ForeignKey("organiser.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(Model):
    __table_args__ = (
        CheckConstraint(f"default_min_group_size >= {ABSOLUTE_MIN_GROUP_SIZE}", name="min_group"),
        CheckConstraint("default_max_group_size >= default_min_group_size", name="max_group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public URL part: /c/<slug>. Printed on posters, so never changed once used.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    #: The conduct rules every volunteer accepts before joining a group.
    pledge: Mapped[str] = mapped_column(Text)
    #: ``description`` and ``pledge`` are in the campaign's first language; here the same in
    #: its other languages: {"fa": {"description": …, "pledge": …}, …} (campaign/texts.py).
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    default_min_group_size: Mapped[int] = mapped_column(default=ABSOLUTE_MIN_GROUP_SIZE)
    default_max_group_size: Mapped[int] = mapped_column(default=DEFAULT_MAX_GROUP_SIZE)
    #: Space-separated BCP 47 codes of the languages the campaign works in, e.g. "en fa ur".
    languages: Mapped[str] = mapped_column(String(200), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Days after an event ends before its volunteers' names, contacts and check-ins are
    #: deleted (``flask purge``); only anonymous counts stay.
    retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    #: Bumped whenever the campaign or any of its events changes: the campaign feed's ETag,
    #: so a cached feed is checked with one primary-key read.
    feed_revision: Mapped[int] = mapped_column(default=0)
    feed_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Volunteers prove their phone or email with a one-time code before they count toward
    #: a group's minimum. Off only for a rehearsal.
    verify_contacts: Mapped[bool] = mapped_column(default=True)
    #: Most verification codes sent by SMS per UTC day (SMS pumping costs money);
    #: None: the SMS_DAILY_BUDGET setting.
    sms_daily_budget: Mapped[int | None] = mapped_column()
    #: The header's colour behind white text, "#rrggbb" (contrast checked when saved:
    #: campaign/campaigns/branding.py); None: the plain header.
    colour: Mapped[str | None] = mapped_column(String(7))
    #: The logo as a PNG the app re-encoded itself (never the uploaded bytes), at most
    #: 256 px a side. Deferred: the campaign is loaded with every event, the logo only by
    #: /c/<slug>/logo.png.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: A digest of ``logo``: its ETag, and the ?v= that makes a changed logo a new URL.
    logo_version: Mapped[str | None] = mapped_column(String(16))

    admins: Mapped[list[Organiser]] = relationship(secondary=campaign_admin, lazy="selectin")

    @property
    def language_list(self) -> list[str]:
        return self.languages.split()

    @property
    def default_language(self) -> str:
        """The language ``description`` and ``pledge`` are written in."""
        return (self.languages.split() or ["en"])[0]

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"
