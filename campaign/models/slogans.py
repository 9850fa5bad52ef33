"""The slogan bank: what a campaign's signs say, in each of its languages."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model
from campaign.models.types import UTCDateTime, str_enum, utcnow


class SloganKind(enum.StrEnum):
    IDENTITY = "identity"  # who we are: "I AM HAZARA"
    QUESTION = "question"  # what we ask: "WHY DO YOU WANT TO KILL ME?"
    CALL = "call"  # what we want: "ANSWER PLEASE"

    @property
    def label(self) -> str:
        return str(SLOGAN_KIND_LABELS[self])


SLOGAN_KIND_LABELS = {
    SloganKind.IDENTITY: _l("Identity (first sign)"),
    SloganKind.QUESTION: _l("Question (middle signs)"),
    SloganKind.CALL: _l("Call (last sign)"),
}


class SloganStatus(enum.StrEnum):
    APPROVED = "approved"  # in the bank: used for new sets
    SUGGESTED = "suggested"  # from a volunteer, waiting for a campaign admin
    RETIRED = "retired"  # no longer used for new sets

    @property
    def label(self) -> str:
        return str(SLOGAN_STATUS_LABELS[self])


SLOGAN_STATUS_LABELS = {
    SloganStatus.APPROVED: _l("In use"),
    SloganStatus.SUGGESTED: _l("Suggested"),
    SloganStatus.RETIRED: _l("Retired"),
}


class Slogan(Model):
    __table_args__ = (Index("ix_slogan_campaign_status", "campaign_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    #: May hold {city}, {country}, {venue} and {campaign}, filled per event.
    text: Mapped[str] = mapped_column(String(200))
    #: BCP 47 code: en, fa, ur, ar, de, …
    language: Mapped[str] = mapped_column(String(16))
    kind: Mapped[SloganKind] = mapped_column(str_enum(SloganKind, 16))
    status: Mapped[SloganStatus] = mapped_column(
        str_enum(SloganStatus, 16), default=SloganStatus.APPROVED
    )
    #: Slogans sharing a theme are translations of one another (bilingual signs pair them).
    theme: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The event a volunteer suggested it from; no person is recorded.
    suggested_at_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL")
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("organiser.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Slogan {self.id} {self.language} {self.kind}>"
