"""Recording messages in the outbox, in the recipient's language, in the caller's
transaction: what is committed will be sent, and what is rolled back never is.

A message is rendered here (so a member link known only now can be in it) and stored
encrypted; ``campaign.messaging.delivery`` sends it. Its ``key`` is unique: planning the
same message twice records it once."""

import json
from dataclasses import dataclass

from flask import get_template_attribute
from flask_babel import force_locale
from sqlalchemy import select

from campaign.extensions import db
from campaign.models import Channel, ContactKind, Membership, Message, utcnow

#: Kinds of message; each has a template ``messages/<kind>.txt`` with the macros
#: ``subject(c)``, ``email(c)`` and ``sms(c)``, each given the context as ``c``.
KINDS = (
    "verify",
    "joined",
    "link",
    "ready",
    "below_minimum",
    "meeting",
    "event_changed",
    "cancelled",
    "reminder_24h",
    "reminder_2h",
    "deadline_forming",
    "home_safe_prompt",
    "home_safe_leader",
)
#: Kinds sent even to a member who stopped messages: they were asked for just now.
ALWAYS_SENT = frozenset({"verify", "link"})


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    unsubscribe_url: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> "Rendered":
        return cls(**json.loads(data))


def channel_for(membership: Membership) -> Channel:
    return Channel.SMS if membership.contact_kind is ContactKind.PHONE else Channel.EMAIL


def render(kind: str, channel: Channel, language: str, **context) -> Rendered:
    template = f"messages/{kind}.txt"
    with force_locale(language):
        subject = _macro(template, "subject", context) if channel is Channel.EMAIL else ""
        text = _macro(template, channel.value, context)
    return Rendered(subject=subject, text=text, unsubscribe_url=context.get("unsubscribe_url"))


def _macro(template: str, name: str, context: dict) -> str:
    lines = str(get_template_attribute(template, name)(context)).strip().splitlines()
    return "\n".join(line.strip() for line in lines).strip()


def exists(key: str) -> bool:
    return db.session.scalar(select(Message.id).where(Message.key == key)) is not None


def queue(kind: str, membership: Membership, key: str, **context) -> Message | None:
    """Record one message to ``membership`` unless ``key`` was recorded before, or the
    member stopped messages (except for what they just asked for). Caller commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    if kind not in ALWAYS_SENT and membership.messages_stopped_at is not None:
        return None
    if exists(key):
        return None
    channel = channel_for(membership)
    context.setdefault("membership", membership)
    context.setdefault("event", membership.group.event)
    context.setdefault("campaign_name", membership.group.event.campaign.name)
    rendered = render(kind, channel, membership.language, **context)
    message = Message(
        key=key[:160],
        kind=kind,
        channel=channel,
        event_id=membership.event_id,
        membership_id=membership.id,
        recipient=membership.contact,
        language=membership.language,
        payload=rendered.to_json(),
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message
