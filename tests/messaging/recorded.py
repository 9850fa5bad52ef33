"""For the messaging tests: the messages recorded in the outbox, and what they say."""

from sqlalchemy import select

from campaign.extensions import db
from campaign.messaging.outbox import Rendered
from campaign.models import Message


def recorded(kind: str) -> list[Message]:
    """The messages of ``kind`` in the outbox, oldest first."""
    return list(
        db.session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id))
    )


def recipients(kind: str) -> set[int]:
    """The memberships a message of ``kind`` was recorded for."""
    return {m.membership_id for m in recorded(kind) if m.membership_id is not None}


def text_of(message: Message) -> Rendered:
    return Rendered.from_json(message.payload)
