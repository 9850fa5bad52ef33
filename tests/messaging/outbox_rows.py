"""Messages written straight into the outbox (no member behind them): for delivery tests,
which are about the outbox rows, not about who is told what."""

from datetime import datetime

from sqlalchemy import select

from campaign.extensions import db
from campaign.messaging.outbox import Rendered
from campaign.models import Channel, Message, utcnow


def add_messages(
    n: int,
    *,
    prefix: str = "m",
    channel: Channel = Channel.EMAIL,
    due: datetime | None = None,
    commit: bool = True,
) -> list[int]:
    """``n`` messages due at ``due`` (default now), to ``<prefix><i>@example.org`` (or a
    phone for SMS), keys ``test:<prefix>:<i>``; returns their ids."""
    messages = []
    for i in range(n):
        to = f"{prefix}{i}@example.org" if channel is Channel.EMAIL else f"+4477009{i:05d}"
        text = f"Message {i}. Your link: https://campaign.test/m/secret-{prefix}-{i}"
        messages.append(
            Message(
                key=f"test:{prefix}:{i}",
                kind="joined",
                channel=channel,
                recipient=to,
                language="en",
                payload=Rendered(subject=f"Hello {i}", text=text).to_json(),
                next_attempt_at=due or utcnow(),
            )
        )
    db.session.add_all(messages)
    db.session.flush()
    ids = [m.id for m in messages]
    if commit:
        db.session.commit()
    return ids


def message(message_id: int) -> Message:
    """The row as stored now (read afresh)."""
    db.session.rollback()
    return db.session.scalars(
        select(Message).where(Message.id == message_id).execution_options(populate_existing=True)
    ).one()


def statuses() -> dict[str, int]:
    db.session.rollback()
    counts: dict[str, int] = {}
    for status in db.session.scalars(select(Message.status)):
        counts[status.value] = counts.get(status.value, 0) + 1
    return counts
