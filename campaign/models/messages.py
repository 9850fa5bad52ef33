"""Verification codes and the outbox of messages to volunteers and organisers."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.extensions import Model
from campaign.models.types import EncryptedText, UTCDateTime, str_enum, utcnow


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class VerificationCode(Model):
    """A one-time code sent to a contact to prove it belongs to whoever typed it.

    Kept after use or expiry (for an hour or so) because the rate limits count them: per
    contact and event, and per campaign per day for SMS."""

    __table_args__ = (
        Index("ix_verification_code_contact", "contact_hash", "created_at"),
        Index("ix_verification_code_campaign", "campaign_id", "channel", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: None once the membership is gone (released, left): the row still counts for limits.
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("membership.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    contact_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 8))
    #: Keyed hash (HMAC-SHA256) of the code with the membership: the code is never stored.
    code_hash: Mapped[str] = mapped_column(String(64))
    #: Wrong codes typed against this one; at the limit it is dead.
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"  # due (now or at due_at), not yet handed to a transport
    SENDING = "sending"  # claimed by a deliverer until lease_until
    SENT = "sent"
    FAILED = "failed"  # the last try failed; an organiser may retry it
    STOPPED = "stopped"  # not sent: the member stopped messages after it was recorded


class Message(Model):
    """One message to one person, written in the same transaction as the change that
    calls for it (the outbox), then delivered by the queue. ``key`` is unique, so a
    message is recorded once however often it is planned, and sent once."""

    __table_args__ = (Index("ix_message_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "<kind>:<membership id>:<what makes it new>", e.g. "ready:12:7" (group revision 7).
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 8))
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus, 16), default=MessageStatus.QUEUED
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("membership.id", ondelete="SET NULL"), index=True
    )
    #: The address or phone, encrypted at rest like every contact.
    recipient: Mapped[str] = mapped_column(EncryptedText)
    language: Mapped[str] = mapped_column(String(16), default="en")
    #: The rendered message as JSON (subject, text, unsubscribe URL), encrypted: it may
    #: hold a member link. Emptied once sent.
    payload: Mapped[str] = mapped_column(EncryptedText)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Not before this time (first try, or the next one after a failure).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: A deliverer claimed it until then; after that another may (it crashed).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the last try failed (a transport's reason, never the text or the contact).
    last_error: Mapped[str] = mapped_column(String(200), default="")


class SmsJoinRequest(Model):
    """ "JOIN <code> <name>" arrived by SMS: the pledge went back; "YES" makes the member."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Keyed hash of the sender's phone (E.164), as Membership.contact_hash.
    contact_hash: Mapped[str] = mapped_column(String(64), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("volunteer_group.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
