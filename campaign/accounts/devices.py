"""The browsers an organiser signed in on, known by a signed cookie ("device cookies",
OWASP's answer to lock-outs): failed sign-ins elsewhere never lock the organiser's own
devices out, and each device's own failures lock only that device."""

import secrets
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, select

from campaign.extensions import db
from campaign.lookup import hash_token
from campaign.models import Organiser, OrganiserDevice

COOKIE = "organiser_device"
#: A device not signed in on for this long is a stranger again.
LIFETIME = timedelta(days=365)
#: Devices remembered per organiser; the one unused the longest is forgotten first.
MAX_DEVICES = 10


def _serializer() -> URLSafeTimedSerializer:
    key = current_app.secret_key
    if not key:
        raise RuntimeError("SECRET_KEY is not set")
    return URLSafeTimedSerializer(key, salt="organiser-device")


def recognise(organiser: Organiser, cookie: str | None, *, now: datetime) -> OrganiserDevice | None:
    """The organiser's device holding this cookie; None for no cookie, a forged or expired
    one, another organiser's, or one forgotten (e.g. at a password change)."""
    if not cookie:
        return None
    try:
        organiser_id, token = _serializer().loads(cookie, max_age=int(LIFETIME.total_seconds()))
    except (BadData, TypeError, ValueError):
        return None
    if organiser_id != organiser.id or not isinstance(token, str):
        return None
    device = db.session.scalar(
        select(OrganiserDevice).where(
            OrganiserDevice.token_hash == hash_token(token),
            OrganiserDevice.organiser_id == organiser.id,
        )
    )
    if device is None or device.last_used_at + LIFETIME < now:
        return None
    return device


def remember(organiser: Organiser, cookie: str | None, *, now: datetime) -> str:
    """After a complete sign-in: the cookie value that makes this browser a known device.

    A known device gets a new token (an old copy of its cookie stops working); its failure
    count starts again."""
    token = secrets.token_urlsafe(32)
    device = recognise(organiser, cookie, now=now)
    if device is None:
        device = OrganiserDevice(organiser_id=organiser.id, created_at=now)
        db.session.add(device)
    device.token_hash = hash_token(token)
    device.last_used_at = now
    device.failed_sign_ins = 0
    device.locked_until = None
    db.session.flush()
    _forget_least_used(organiser)
    return _serializer().dumps([organiser.id, token])


def _forget_least_used(organiser: Organiser) -> None:
    keep = (
        select(OrganiserDevice.id)
        .where(OrganiserDevice.organiser_id == organiser.id)
        .order_by(OrganiserDevice.last_used_at.desc(), OrganiserDevice.id.desc())
        .limit(MAX_DEVICES)
    )
    db.session.execute(
        delete(OrganiserDevice).where(
            OrganiserDevice.organiser_id == organiser.id,
            OrganiserDevice.id.not_in(keep),
        )
    )


def forget_all(organiser: Organiser) -> None:
    """Every device becomes a stranger again (at a password change)."""
    db.session.execute(delete(OrganiserDevice).where(OrganiserDevice.organiser_id == organiser.id))
