"""Groups of volunteers for one event, and the volunteers in them."""

import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func, select, text
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from campaign.extensions import Model
from campaign.models.events import Event
from campaign.models.group_sizes import GroupState, group_state, people_needed, room_left
from campaign.models.types import EncryptedText, UTCDateTime, str_enum, utcnow

#: Upper-case letters and digits without 0/O and 1/I, so a code read aloud or off a
#: poster is typed right.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#: 32**8 ≈ 10**12 codes: with rate limits, not enumerable.
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def new_sign_seed() -> int:
    return secrets.randbelow(2**31)


def format_join_code(code: str) -> str:
    """ABCD-EFGH: easier to read out and type."""
    return f"{code[:4]}-{code[4:]}"


class ContactKind(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class Membership(Model):
    """A volunteer in a group. No account: the secret manage token is the key."""

    __table_args__ = (
        # The last line against one person holding two places in one event: one verified
        # membership per contact. Unverified ones may share a contact (someone typed a
        # number that is not theirs); the owner's verification frees the others.
        Index(
            "uq_membership_event_verified_contact",
            "event_id",
            "contact_hash",
            unique=True,
            sqlite_where=text("verified_at IS NOT NULL"),
            postgresql_where=text("verified_at IS NOT NULL"),
        ),
        Index("ix_membership_event_contact", "event_id", "contact_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_group.id", ondelete="CASCADE"), index=True
    )
    #: Copied from the group, so the one-contact-per-event rule is a unique constraint.
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    #: A pseudonym is welcome.
    display_name: Mapped[str] = mapped_column(String(60))
    #: Phone in E.164 or a lower-cased email, encrypted at rest (Fernet); only organisers
    #: (and the group, if shared) see it.
    contact: Mapped[str] = mapped_column(EncryptedText)
    contact_kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind, 8))
    #: Keyed hash (HMAC-SHA256) of the normalised contact: finds duplicates without reading it.
    contact_hash: Mapped[str] = mapped_column(String(64))
    #: The volunteer chose to show their phone number to the rest of the group.
    share_contact: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of the secret /me/<token>; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_leader: Mapped[bool] = mapped_column(default=False)
    pledge_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "I'm with my group at the venue."
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "Home safe."
    home_safe_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the volunteer proved the contact is theirs (a code, or the SMS they sent). Until
    #: then the membership holds a seat but does not count toward the minimum, sees nothing
    #: of the group, and is released after VERIFY_HOLD_MINUTES.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The language messages are written in: the one the volunteer joined in.
    language: Mapped[str] = mapped_column(String(16), default="en")
    #: The volunteer asked for no more messages (member page, email link, or STOP by SMS).
    messages_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    group: Mapped["Group"] = relationship(back_populates="members")

    def __repr__(self) -> str:
        return f"<Membership {self.id} in group {self.group_id}>"


class Group(Model):
    __tablename__ = "volunteer_group"  # "group" is an SQL keyword

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: The code behind /j/<code>: printed, read aloud, typed on phones.
    join_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_join_code)
    name: Mapped[str] = mapped_column(String(60), default="")
    #: Set by the leader; shown only to members.
    meeting_point: Mapped[str] = mapped_column(String(200), default="")
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last change members would want in their calendars: who is in it, name, meeting.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Counts those changes; with the event's revision, the members' calendar SEQUENCE.
    revision: Mapped[int] = mapped_column(default=0)
    #: Picks this group's sign slogans; the leader draws a new one for a new set.
    sign_seed: Mapped[int] = mapped_column(default=new_sign_seed)
    #: Language of the signs ("" = the campaign's first) and an optional second line's.
    sign_language: Mapped[str] = mapped_column(String(16), default="")
    sign_second_language: Mapped[str] = mapped_column(String(16), default="")
    #: Set when the group was merged into another; its join code then leads there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_group.id"))

    event: Mapped[Event] = relationship()
    members: Mapped[list[Membership]] = relationship(
        back_populates="group",
        order_by=Membership.joined_at,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    #: Verified members: the people who count toward the minimum.
    member_count: Mapped[int] = column_property(
        select(func.count(Membership.id))
        .where(Membership.group_id == id, Membership.verified_at.is_not(None))
        .correlate_except(Membership)
        .scalar_subquery()
    )
    #: Every seat taken, members still confirming their contact included.
    seat_count: Mapped[int] = column_property(
        select(func.count(Membership.id))
        .where(Membership.group_id == id)
        .correlate_except(Membership)
        .scalar_subquery()
    )

    @property
    def confirming(self) -> int:
        """Seats held by people who have not yet confirmed their contact."""
        return max(0, self.seat_count - self.member_count)

    @property
    def state(self) -> GroupState:
        event = self.event
        return group_state(
            self.member_count, event.min_group_size, event.max_group_size, self.seat_count
        )

    @property
    def needed(self) -> int:
        """How many more verified people before the group is safe to go."""
        return people_needed(self.member_count, self.event.min_group_size)

    @property
    def room(self) -> int:
        return room_left(self.seat_count, self.event.max_group_size)

    @property
    def is_full(self) -> bool:
        """No seat left (some may be held by people still confirming)."""
        return self.room == 0

    @property
    def display_code(self) -> str:
        return format_join_code(self.join_code)

    @property
    def leader(self) -> Membership | None:
        return next((m for m in self.members if m.is_leader), None)

    @property
    def verified_members(self) -> list[Membership]:
        return [m for m in self.members if m.verified_at is not None]

    def __repr__(self) -> str:
        return f"<Group {self.join_code}>"


class GroupActivityKind(enum.StrEnum):
    JOINED = "joined"
    LEFT = "left"
    REMOVED = "removed"
    MERGED = "merged"
    LEADER = "leader"  # leadership passed on


class GroupActivity(Model):
    """What happened in a group, so its members see changes (someone left, a merge)."""

    __table_args__ = (Index("ix_group_activity_group_at", "group_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("volunteer_group.id", ondelete="CASCADE"))
    kind: Mapped[GroupActivityKind] = mapped_column(str_enum(GroupActivityKind, 16))
    #: The display name concerned (never a contact).
    display_name: Mapped[str] = mapped_column(String(60), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DepartedLink(Model):
    """A member link whose member left or was removed: so that opening it later says what
    happened and how to join again, instead of a bare "not found". Only the link's hash,
    the event and how: no name, no contact. Deleted with the event's personal data."""

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[GroupActivityKind] = mapped_column(str_enum(GroupActivityKind, 16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()


class ContactAccess(Model):
    """An organiser saw or exported volunteers' contacts: who, when, which event, how."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: "board" (the organiser board was shown) or "csv" (sign-ups exported).
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
