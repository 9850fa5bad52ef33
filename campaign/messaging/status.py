"""What organisers see of an event's messages: how many are queued, sent and failed (never
their text or recipients), and retrying the failed ones."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from campaign.extensions import db
from campaign.models import Event, Message, MessageStatus, utcnow


@dataclass(frozen=True)
class MessageCounts:
    queued: int = 0  # waiting, or being sent right now
    sent: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed


def counts(event: Event) -> MessageCounts:
    rows = db.session.execute(
        select(Message.status, func.count(Message.id))
        .where(Message.event_id == event.id)
        .group_by(Message.status)
    )
    by_status = {MessageStatus(status): n for status, n in rows}
    return MessageCounts(
        queued=by_status.get(MessageStatus.QUEUED, 0) + by_status.get(MessageStatus.SENDING, 0),
        sent=by_status.get(MessageStatus.SENT, 0),
        failed=by_status.get(MessageStatus.FAILED, 0),
    )


def retry_failed(event: Event, now: datetime | None = None) -> int:
    """Queue the event's failed messages again, as new: no tries yet, due now. Returns how
    many. (The periodic delivery finds them; the caller commits.)"""
    result = db.session.execute(
        update(Message)
        .where(Message.event_id == event.id, Message.status == MessageStatus.FAILED)
        .values(
            status=MessageStatus.QUEUED,
            attempts=0,
            next_attempt_at=now or utcnow(),
            lease_until=None,
            last_error="",
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
