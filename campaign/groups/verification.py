"""Proving a contact: a one-time code sent to the phone (SMS) or email a volunteer typed.

Until a membership is verified it holds a seat but does not count toward the minimum and
sees nothing of its group. Codes are stored only as a keyed hash; each allows
MAX_CODE_TRIES wrong guesses; a contact gets at most CODES_PER_CONTACT_PER_HOUR codes per
event; SMS codes are capped per campaign per UTC day (SMS pumping costs money)."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.messaging import outbox
from campaign.messaging.links import external_url
from campaign.models import Channel, Event, Membership, VerificationCode, utcnow

CODE_DIGITS = 6
MAX_CODE_TRIES = 5
CODES_PER_CONTACT_PER_HOUR = 3


class VerificationRefused(Exception):
    """No code could be sent: ``code`` says why (a ServiceError code of the sign-up table)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def required(event: Event) -> bool:
    return bool(event.campaign.verify_contacts)


def hold() -> timedelta:
    """How long an unverified membership keeps its seat."""
    return timedelta(minutes=current_app.config["VERIFY_HOLD_MINUTES"])


def code_lifetime() -> timedelta:
    return min(hold(), timedelta(minutes=current_app.config["VERIFY_CODE_MINUTES"]))


def hold_ends_at(membership: Membership) -> datetime:
    return membership.joined_at + hold()


def _code_hash(membership_id: int, code: str) -> str:
    key = current_app.config["CONTACT_HASH_KEY"].encode()
    return hmac.new(key, f"verify:{membership_id}:{code}".encode(), hashlib.sha256).hexdigest()


def normalise_typed_code(typed: str) -> str:
    """Digits only, Persian and Arabic-Indic digits read as 0 to 9, spaces and dashes ignored."""
    return "".join(str(int(ch)) for ch in (typed or "") if ch.isdecimal())[: CODE_DIGITS + 2]


def _count_since(*conditions, since: datetime) -> int:
    return db.session.scalars(
        select(func.count(VerificationCode.id)).where(
            *conditions, VerificationCode.created_at >= since
        )
    ).one()


def _check_limits(membership: Membership, channel: Channel, now: datetime) -> None:
    recent = _count_since(
        VerificationCode.contact_hash == membership.contact_hash,
        VerificationCode.event_id == membership.event_id,
        since=now - timedelta(hours=1),
    )
    if recent >= CODES_PER_CONTACT_PER_HOUR:
        raise VerificationRefused("too_many_codes")
    if channel is Channel.SMS:
        campaign = membership.group.event.campaign
        budget = campaign.sms_daily_budget
        if budget is None:
            budget = current_app.config["SMS_DAILY_BUDGET"]
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        spent = _count_since(
            VerificationCode.campaign_id == campaign.id,
            VerificationCode.channel == Channel.SMS,
            since=midnight,
        )
        if spent >= budget:
            current_app.logger.warning("campaign %s: daily SMS code budget spent", campaign.id)
            raise VerificationRefused("sms_budget_spent")


def send_code(membership: Membership, token: str) -> None:
    """Record a new code for ``membership`` and the message carrying it (the caller
    commits). ``token``: the member's secret link, for the email's one-click link.
    Raises VerificationRefused when a limit is reached."""
    now = utcnow()
    channel = outbox.channel_for(membership)
    _check_limits(membership, channel, now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row = VerificationCode(
        membership_id=membership.id,
        event_id=membership.event_id,
        campaign_id=membership.group.event.campaign_id,
        contact_hash=membership.contact_hash,
        channel=channel,
        code_hash=_code_hash(membership.id, code),
        created_at=now,
        expires_at=now + code_lifetime(),
    )
    db.session.add(row)
    db.session.flush()
    outbox.queue(
        "verify",
        membership,
        f"verify:{row.id}",
        code=code,
        minutes=int(code_lifetime().total_seconds() // 60),
        link=external_url("groups.verify", token=token, code=code),
    )


def latest_code(membership: Membership) -> VerificationCode | None:
    return db.session.scalar(
        select(VerificationCode)
        .where(VerificationCode.membership_id == membership.id)
        .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
        .limit(1)
    )


def check(membership: Membership, typed: str) -> str:
    """Check a typed code against the membership's newest one: "ok", "wrong", "expired"
    or "too_many_tries". A wrong guess is counted (the caller commits either way)."""
    row = latest_code(membership)
    now = utcnow()
    if row is None or row.used_at is not None or now >= row.expires_at:
        return "expired"
    if row.attempts >= MAX_CODE_TRIES:
        return "too_many_tries"
    if not hmac.compare_digest(row.code_hash, _code_hash(membership.id, typed)):
        row.attempts += 1
        db.session.flush()
        return "too_many_tries" if row.attempts >= MAX_CODE_TRIES else "wrong"
    row.used_at = now
    db.session.flush()
    return "ok"
