"""Events: one demonstration at one place and time."""

import enum
import secrets
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
)
from sqlalchemy import event as sa_event
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from campaign.extensions import Model
from campaign.models.accounts import Organiser
from campaign.models.campaigns import Campaign
from campaign.models.group_sizes import ABSOLUTE_MIN_GROUP_SIZE, DEFAULT_MAX_GROUP_SIZE
from campaign.models.types import UTCDateTime, str_enum, utcnow

#: Lower-case letters and digits that cannot be misread for one another (no 0/o, 1/l/i).
REF_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
REF_LENGTH = 10


def new_event_ref() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


class VenueType(enum.StrEnum):
    GOVERNMENT_ASSEMBLY = "government_assembly"
    DEMONSTRATION = "demonstration"
    CHURCH = "church"
    MOSQUE = "mosque"
    TEMPLE = "temple"
    SYNAGOGUE = "synagogue"
    SPORTING_EVENT = "sporting_event"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(VENUE_TYPE_LABELS[self])


VENUE_TYPE_LABELS = {
    VenueType.GOVERNMENT_ASSEMBLY: _l("Government assembly"),
    VenueType.DEMONSTRATION: _l("Demonstration"),
    VenueType.CHURCH: _l("Church"),
    VenueType.MOSQUE: _l("Mosque"),
    VenueType.TEMPLE: _l("Temple"),
    VenueType.SYNAGOGUE: _l("Synagogue"),
    VenueType.SPORTING_EVENT: _l("Sporting event"),
    VenueType.OTHER: _l("Other public place"),
}


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"  # submitted for review by a campaign admin
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(EVENT_STATUS_LABELS[self])


#: An event in one of these states, once published, is public (see ``Event.is_public``).
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)

EVENT_STATUS_LABELS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PENDING: _l("Waiting for review"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
}


class Event(Model):
    __table_args__ = (
        CheckConstraint(f"min_group_size >= {ABSOLUTE_MIN_GROUP_SIZE}", name="min_group"),
        CheckConstraint("max_group_size >= min_group_size", name="max_group"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # The campaign page and feeds: published events of a campaign in date order.
        Index("ix_event_campaign_status_starts", "campaign_id", "status", "starts_at"),
        # Search by date range: the day as people there call it.
        Index("ix_event_campaign_local_date", "campaign_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public URL part: /e/<ref>. Random, so unpublished events cannot be guessed.
    ref: Mapped[str] = mapped_column(String(16), unique=True, default=new_event_ref)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    venue_type: Mapped[VenueType] = mapped_column(str_enum(VenueType, 32))
    venue_name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    #: ISO 3166-1 alpha-2 code.
    country: Mapped[str] = mapped_column(String(2))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: IANA time zone name; times are entered and shown in it.
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The start's date in the event's own zone, for searches by date.
    local_date: Mapped[date] = mapped_column(Date)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: After this nobody can join; forming groups may be merged. None: the start.
    signup_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    #: The description in the campaign's other languages, written by a campaign admin
    #: (who vouches for it as for publication): {"fa": "…", "ur": "…"}.
    description_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    min_group_size: Mapped[int] = mapped_column(default=ABSOLUTE_MIN_GROUP_SIZE)
    max_group_size: Mapped[int] = mapped_column(default=DEFAULT_MAX_GROUP_SIZE)
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, 16), default=EventStatus.DRAFT
    )
    #: Bumped by every change to a published event; the iCalendar SEQUENCE.
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The title and description as a campaign admin last vouched for them (at publication,
    #: or on accepting a change). An organiser's later edit of either is flagged for review.
    reviewed_title: Mapped[str | None] = mapped_column(String(120))
    reviewed_description: Mapped[str | None] = mapped_column(Text)
    changed_since_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why, in the organiser's words: members see it on their pages and in the message.
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    #: When the volunteers' personal data was deleted (retention); the counts below stay.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_groups: Mapped[int | None] = mapped_column()
    purged_volunteers: Mapped[int | None] = mapped_column()
    purged_checked_in: Mapped[int | None] = mapped_column()
    purged_home_safe: Mapped[int | None] = mapped_column()

    campaign: Mapped[Campaign] = relationship(lazy="joined", innerjoin=True)
    organiser: Mapped[Organiser] = relationship()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @property
    def local_signup_deadline(self) -> datetime | None:
        return self.signup_deadline.astimezone(self.zone) if self.signup_deadline else None

    @hybrid_property
    def is_public(self) -> bool:
        """Anyone may see it: published, or cancelled after it was published (so calendars
        and pages say it is off). Also an SQL condition: ``select(Event).where(Event.is_public)``.
        """
        return self.status in PUBLIC_STATUSES and self.published_at is not None

    @is_public.inplace.expression
    @classmethod
    def _is_public_condition(cls) -> ColumnElement[bool]:
        # status first: the campaign-page and feed index covers (campaign_id, status, ...).
        return and_(cls.status.in_(PUBLIC_STATUSES), cls.published_at.is_not(None))

    def __repr__(self) -> str:
        return f"<Event {self.ref}>"


@sa_event.listens_for(Session, "before_flush")
def _touch_campaign_feeds(session: Session, _context, _instances) -> None:
    """Any change to a campaign or one of its events moves the campaign's feed revision;
    an event's local date follows its start and zone.

    Done here rather than in each service so that no ORM change can forget it: a stale
    feed would keep a cancelled event in people's calendars. (Bulk ``update()`` statements
    bypass the ORM: don't use them on events.)
    """
    campaigns: dict[int, Campaign] = {}
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Event) and obj.starts_at is not None and obj.timezone:
            obj.local_date = obj.local_start.date()  # kept in step with start and zone
    for obj in (*session.new, *session.dirty, *session.deleted):
        changed = obj in session.new or obj in session.deleted or session.is_modified(obj)
        if isinstance(obj, Event) and changed:
            campaign = obj.campaign or session.get(Campaign, obj.campaign_id)
        elif isinstance(obj, Campaign) and obj not in session.new and changed:
            campaign = obj
        else:
            continue
        if campaign is not None and campaign not in session.new:
            campaigns[id(campaign)] = campaign
    for campaign in campaigns.values():
        # An SQL expression, so concurrent writers on PostgreSQL never lose an increment.
        campaign.feed_revision = Campaign.feed_revision + 1
        campaign.feed_changed_at = utcnow()
