"""Sending the outbox: each due message claimed, handed to its transport, and marked.

A deliverer (a Huey task, the periodic tick, ``flask deliver``) claims due messages in a
short committed transaction that marks them ``sending`` until ``lease_until``; sends each
outside any transaction; then marks it sent (its payload emptied: the text may hold a
member link) or schedules a retry with backoff, and after MESSAGE_MAX_ATTEMPTS tries
marks it failed. Claims never overlap (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the
write lock), so two deliverers never send one message; a deliverer that dies holding
claims leaves them ``sending`` until the lease passes, and the next one takes them.

At least once, not exactly once: a crash after the transport took a message and before it
is marked sent sends it again once the lease passes. Marking right after each send keeps
that window to one message and one short write; the email's Message-ID is the same on
both copies (``campaign.messaging.mail``), so mail systems that dedupe show it once.
"""

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from importlib.util import find_spec

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError

from campaign.extensions import db
from campaign.messaging.outbox import ALWAYS_SENT, Rendered
from campaign.messaging.transport import ConsoleTransport, Outgoing, Transport, TransportError
from campaign.models import Channel, Event, Membership, Message, MessageStatus, utcnow
from campaign.transactions import begin_write, lock_event

log = logging.getLogger("campaign.messages")

#: Settings and their defaults (instance/config.py may set each).
DEFAULTS = {
    #: Tries before a message is marked failed (an organiser may retry it from the board).
    "MESSAGE_MAX_ATTEMPTS": 6,
    #: Wait after the first failed try; doubled after each further one, up to the maximum.
    "MESSAGE_RETRY_SECONDS": 60,
    "MESSAGE_RETRY_MAX_SECONDS": 3600,
    #: How long a claim lasts: a deliverer that died holding it is replaced after this.
    #: Longer than a send can take (MAIL_TIMEOUT, the SMS gateway's timeout) times BATCH.
    "MESSAGE_LEASE_SECONDS": 300,
}
#: Messages claimed per transaction: each claim is held at most BATCH sends long.
BATCH = 20
#: Where tests put their transports: ``app.extensions[TRANSPORTS] = {"email": t, ...}``.
TRANSPORTS = "campaign.transports"
_MADE = "campaign.transports.made"


class ConfigurationError(RuntimeError):
    """A channel has no transport it may use (e.g. the console transport over https)."""


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


# --- transports -------------------------------------------------------------------------


def transport_for(channel: Channel | str) -> Transport:
    """The transport for a channel: injected ones first (tests), then SMTP when
    MAIL_SERVER is set (email) or Kannel when SMS_GATEWAY_URL is (SMS), else the console.
    Raises ConfigurationError when the console is refused or a setting cannot work."""
    channel = Channel(channel)
    injected = current_app.extensions.get(TRANSPORTS, {})
    if channel.value in injected:
        return injected[channel.value]
    made = current_app.extensions.setdefault(_MADE, {})
    if channel.value not in made:
        made[channel.value] = _make(channel)
    transport = made[channel.value]
    if transport is None:  # the console, made afresh: it keeps what it printed
        return ConsoleTransport()
    return transport


def _make(channel: Channel) -> Transport | None:
    config = current_app.config
    try:
        if channel is Channel.EMAIL and config.get("MAIL_SERVER"):
            return import_module("campaign.messaging.mail").SmtpTransport(config)
        if channel is Channel.SMS and config.get("SMS_GATEWAY_URL"):
            return import_module("campaign.messaging.sms").KannelTransport(config)
    except ValueError as error:
        raise ConfigurationError(f"{channel.value}: {error}") from None
    if config.get("PREFERRED_URL_SCHEME") == "https" and not config.get("MESSAGES_CONSOLE_ALLOWED"):
        setting_name = "MAIL_SERVER" if channel is Channel.EMAIL else "SMS_GATEWAY_URL"
        raise ConfigurationError(
            f"{channel.value}: {setting_name} is not set, and the console transport (which "
            "prints codes and member links to the log) is refused when "
            "PREFERRED_URL_SCHEME is https. Set it, or MESSAGES_CONSOLE_ALLOWED to allow "
            "the console."
        )
    return None  # the console


def unusable_channels() -> dict[str, str]:
    """Each channel whose transport cannot be made, with why (empty when all can)."""
    problems = {}
    for channel in Channel:
        try:
            transport_for(channel)
        except ConfigurationError as error:
            problems[channel.value] = str(error)
    return problems


# --- delivering --------------------------------------------------------------------------


@dataclass
class Counts:
    sent: int = 0
    retrying: int = 0  # failed this time, tried again later
    failed: int = 0  # failed for good (permanent error or the last try)
    #: Claimed but not sent: the claim ran out before its turn (another deliverer may
    #: have it now).
    expired: int = 0
    #: Channels not delivered at all, and why (a configuration error).
    unusable: dict[str, str] = field(default_factory=dict)

    def add(self, other: "Counts") -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.expired += other.expired
        self.unusable.update(other.unusable)


@dataclass(frozen=True)
class _Claim:
    id: int
    lease_until: datetime
    outgoing: Outgoing


def deliver_due(now: datetime | None = None, limit: int | None = None) -> Counts:
    """Send every message due at ``now`` (default: the present), at most ``limit``, on
    the channels that have a usable transport; the others are left queued and listed
    in ``Counts.unusable``. Commits its own short transactions."""
    return _deliver(now, limit)


def deliver_one(message_id: int, now: datetime | None = None) -> Counts:
    """Send one message if it is due (the Huey task after the commit that recorded it);
    nothing if another deliverer has it, or it is sent, failed or not due yet."""
    return _deliver(now, 1, message_id)


def _deliver(now: datetime | None, limit: int | None, only_id: int | None = None) -> Counts:
    started_at, started = now or utcnow(), time.monotonic()

    def clock() -> datetime:  # ``now`` moves on as the real time does
        return started_at + timedelta(seconds=time.monotonic() - started)

    counts = Counts(unusable=unusable_channels())
    channels = [c for c in Channel if c.value not in counts.unusable]
    if only_id is None:
        for channel, why in counts.unusable.items():
            log.error("messages by %s are not delivered: %s", channel, why)
    while channels and (limit is None or limit > 0):
        batch = BATCH if limit is None else min(BATCH, limit)
        claims = _claim(clock(), channels, batch, only_id)
        for claim in claims:
            counts.add(_send(claim, clock))
        if limit is not None:
            limit -= len(claims)
        if len(claims) < batch or only_id is not None:
            break
    return counts


def _due(now: datetime):
    return or_(
        and_(Message.status == MessageStatus.QUEUED, Message.next_attempt_at <= now),
        # A deliverer claimed it and died: its lease ran out.
        and_(Message.status == MessageStatus.SENDING, Message.lease_until < now),
    )


def _claim(now: datetime, channels: list[Channel], batch: int, only_id: int | None) -> list:
    """Mark up to ``batch`` due messages ``sending`` for this deliverer, in one short
    committed transaction; returns what to send. Each claim counts as a try."""
    begin_write()  # SQLite: the write lock first, so two claims never read the same rows
    query = (
        select(Message)
        .where(_due(now), Message.channel.in_(channels))
        .order_by(Message.next_attempt_at, Message.id)
        .limit(batch)
        .with_for_update(skip_locked=True)  # PostgreSQL: rows another claim holds are passed
    )
    if only_id is not None:
        query = query.where(Message.id == only_id)
    lease_until = now + timedelta(seconds=setting("MESSAGE_LEASE_SECONDS"))
    claims = []
    try:
        for message in db.session.scalars(query).all():
            crashed = message.status is MessageStatus.SENDING
            message.attempts += 1
            if crashed and message.attempts > setting("MESSAGE_MAX_ATTEMPTS"):
                # It was claimed that often and never marked: perhaps it stops deliverers.
                _give_up(message, "the deliverer stopped while sending it, every try")
                continue
            if _stopped(message):
                message.status, message.payload = MessageStatus.STOPPED, ""
                continue
            try:
                outgoing = _outgoing(message)
            except (ValueError, TypeError):
                _give_up(message, "its stored text could not be read")
                continue
            message.status = MessageStatus.SENDING
            message.lease_until = lease_until
            claims.append(_Claim(message.id, lease_until, outgoing))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return claims


def _stopped(message: Message) -> bool:
    """The member stopped messages after this one was recorded (STOP by SMS, the email's
    link, their page): it is not sent, unless they asked for it (a code, a link)."""
    if message.kind in ALWAYS_SENT or message.membership_id is None:
        return False
    member = db.session.get(Membership, message.membership_id)
    return member is not None and member.messages_stopped_at is not None


def _outgoing(message: Message) -> Outgoing:
    rendered = Rendered.from_json(message.payload)
    return Outgoing(
        key=message.key,
        channel=message.channel.value,
        to=message.recipient,
        text=rendered.text,
        subject=rendered.subject,
        language=message.language,
        unsubscribe_url=rendered.unsubscribe_url,
    )


def _give_up(message: Message, reason: str) -> None:
    message.status = MessageStatus.FAILED
    message.lease_until = None
    message.last_error = reason
    log.error("message %s failed: %s", message.id, reason)


def _send(claim: _Claim, clock) -> Counts:
    """Hand one claimed message to its transport (no transaction open), then record the
    outcome."""
    if clock() >= claim.lease_until:
        return Counts(expired=1)  # too late: another deliverer may be sending it now
    message = claim.outgoing
    try:
        transport_for(message.channel).send(message)
    except TransportError as error:
        reason = _reason(error.reason, message.to)
        return _record(claim, _failure, clock(), reason, error.permanent)
    except ConfigurationError:
        raise
    except Exception as error:  # a transport's bug: logged, retried; never its text here
        log.exception("the %s transport failed on message %s", message.channel, claim.id)
        return _record(claim, _failure, clock(), f"unexpected {type(error).__name__}", False)
    log.info("message %s sent by %s", claim.id, message.channel)
    return _record(claim, _sent, clock())


def _record(claim: _Claim, outcome, *args) -> Counts:
    """Write the outcome in its own short transaction; a busy database is tried again
    a few times (until then the message stays claimed: it is sent again after the
    lease if this never lands)."""
    for attempt in range(4):
        begin_write()
        try:
            counts = outcome(claim, *args)
            db.session.commit()
            return counts
        except OperationalError:
            db.session.rollback()
            if attempt == 3:
                log.exception("message %s: its outcome could not be recorded", claim.id)
                return Counts()
            time.sleep(0.2 * (attempt + 1))
    return Counts()  # not reached


def _sent(claim: _Claim, now: datetime) -> Counts:
    db.session.execute(
        update(Message)
        .where(Message.id == claim.id, Message.status == MessageStatus.SENDING)
        .values(
            status=MessageStatus.SENT,
            sent_at=now,
            payload="",  # the text may hold a member link: kept no longer than needed
            lease_until=None,
            last_error="",
        )
    )
    return Counts(sent=1)


def _failure(claim: _Claim, now: datetime, reason: str, permanent: bool) -> Counts:
    message = db.session.scalars(
        select(Message)
        .where(Message.id == claim.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if message is None or message.status is not MessageStatus.SENDING:
        return Counts()
    message.last_error = reason
    message.lease_until = None
    if permanent or message.attempts >= setting("MESSAGE_MAX_ATTEMPTS"):
        message.status = MessageStatus.FAILED
        log.warning("message %s failed after %s tries: %s", claim.id, message.attempts, reason)
        return Counts(failed=1)
    message.status = MessageStatus.QUEUED
    message.next_attempt_at = now + backoff(message.attempts)
    log.info(
        "message %s: try %s failed (%s), tried again later", claim.id, message.attempts, reason
    )
    return Counts(retrying=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4, 8 … minutes, capped."""
    seconds = setting("MESSAGE_RETRY_SECONDS") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, setting("MESSAGE_RETRY_MAX_SECONDS")))


def _reason(reason: str, recipient: str) -> str:
    """The transport's reason as stored and shown: one line, at most 200 characters,
    without the recipient (a server's reply may quote the address)."""
    text = " ".join(str(reason).split())
    for form in {recipient, recipient.lstrip("+")} - {""}:
        text = re.sub(re.escape(form), "<recipient>", text, flags=re.IGNORECASE)
    return text[:200]


def retry(message: Message) -> bool:
    """A failed message queued again from the start (an organiser's "retry"); False if it
    is not failed. The caller commits; the commit enqueues its delivery."""
    if message.status is not MessageStatus.FAILED:
        return False
    message.status = MessageStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.lease_until = None
    from campaign.messaging import queue

    queue.enqueue_after_commit(message.id)
    return True


# --- the periodic work --------------------------------------------------------------------


@dataclass
class Tick:
    released: int = 0  # unverified seats freed
    planned: int | None = None  # what campaign.messaging.schedule planned (None: no planner)
    delivered: Counts = field(default_factory=Counts)
    #: What went wrong in a step other than sending (logged with its traceback).
    errors: list[str] = field(default_factory=list)


def tick(now: datetime | None = None) -> Tick:
    """What the queue does every minute and ``flask deliver`` once: free expired
    unverified seats, plan the messages now due (reminders …), then send what is due."""
    report = Tick()
    try:
        report.released = release_expired_holds()
    except Exception:
        db.session.rollback()
        log.exception("releasing expired holds failed")
        report.errors.append("releasing expired holds failed")
    try:
        report.planned = _plan(now or utcnow())
    except Exception:
        db.session.rollback()
        log.exception("planning messages failed")
        report.errors.append("planning messages failed")
    report.delivered = deliver_due(now)
    return report


def _plan(now: datetime) -> int | None:
    if find_spec("campaign.messaging.schedule") is None:
        return None
    plan_due = getattr(import_module("campaign.messaging.schedule"), "plan_due", None)
    if plan_due is None:
        return None
    planned = plan_due(now)
    db.session.commit()
    return planned if isinstance(planned, int) else None


def release_expired_holds() -> int:
    """Free the seats of unverified memberships past their hold, one event per short
    transaction (each under the event's lock, as a join takes it)."""
    from campaign.groups import service, verification

    cutoff = utcnow() - verification.hold()
    event_ids = db.session.scalars(
        select(Membership.event_id)
        .where(Membership.verified_at.is_(None), Membership.joined_at < cutoff)
        .distinct()
    ).all()
    db.session.rollback()
    released = 0
    for event_id in event_ids:
        event = db.session.get(Event, event_id)
        if event is None:
            continue
        released += service.release_expired_holds(lock_event(event))
        db.session.commit()
    return released
