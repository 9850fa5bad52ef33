"""What a volunteer can do knowing only their own contact: ask for their link again, stop
messages, say they are home safe, join by SMS. Everything answers only to the verified
contact itself: nothing here tells whoever typed a contact whether it is signed up."""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from campaign.extensions import db
from campaign.groups import messages, service
from campaign.groups.contacts import ContactError, contact_hash, normalise_contact
from campaign.models import Event, EventStatus, Group, Membership, Message, SmsJoinRequest, utcnow

#: Links sent to one membership per hour, however often someone asks.
LINKS_PER_HOUR = 3
#: How long a "JOIN" by SMS waits for its "YES".
SMS_JOIN_WAITS = timedelta(minutes=30)
#: JOINs one phone may send within SMS_JOIN_WAITS (each answered with the pledge).
SMS_JOINS_PER_WAIT = 5


def hash_of(contact: str) -> str:
    return contact_hash(contact, current_app.config["CONTACT_HASH_KEY"])


def verified_memberships(digest: str, *, event: Event | None = None) -> list[Membership]:
    """The contact's verified memberships of events not yet over (of one event if given)."""
    query = (
        select(Membership)
        .join(Event, Event.id == Membership.event_id)
        .where(
            Membership.contact_hash == digest,
            Membership.verified_at.is_not(None),
            Event.ends_at > utcnow() - service.CHECK_IN_WINDOW,
        )
        .order_by(Event.starts_at)
    )
    if event is not None:
        query = query.where(Membership.event_id == event.id)
    return list(db.session.scalars(query))


def _links_sent_lately(membership: Membership) -> int:
    return db.session.scalars(
        select(func.count(Message.id)).where(
            Message.membership_id == membership.id,
            Message.kind == "link",
            Message.created_at >= utcnow() - timedelta(hours=1),
        )
    ).one()


def send_link(membership: Membership, reason: str) -> bool:
    """A new member link, sent to the verified contact only (the old link stops working:
    whoever found it loses the group). False when too many were sent this hour."""
    if _links_sent_lately(membership) >= LINKS_PER_HOUR:
        return False
    token = service.new_member_token()
    membership.token_hash = service.hash_token(token)
    db.session.flush()
    messages.link_again(membership, token, f"{reason}:{membership.token_hash[:16]}")
    return True


def send_my_link(event: Event, typed_contact: str) -> None:
    """ "Send me my link" on the event page: if the typed contact is verified in this
    event, its new link goes to it. The page says the same whatever happened."""
    try:
        _kind, contact = normalise_contact(typed_contact, event.country)
    except ContactError as error:
        raise service.SignUpError(error.code, "contact") from None
    for membership in verified_memberships(hash_of(contact), event=event):
        send_link(membership, "asked")


# --- by SMS ----------------------------------------------------------------------------------


@dataclass
class SmsAnswer:
    """What an SMS command did: a reply code (campaign.messaging's reply table) and values."""

    code: str
    values: dict


def sms_join(phone: str, code: str, name: str, language: str) -> SmsAnswer:
    """JOIN <code> [name]: the pledge goes back; YES accepts it and makes the member."""
    group = service.group_by_code(code)
    if group is None or not group.event.is_public:
        return SmsAnswer("unknown_code", {})
    event = group.event
    if service.signup_closed(event) or event.status is not EventStatus.PUBLISHED:
        return SmsAnswer("closed", {"event": event.title})
    digest = hash_of(phone)
    since = utcnow() - SMS_JOIN_WAITS
    db.session.execute(delete(SmsJoinRequest).where(SmsJoinRequest.created_at < since))
    recent = select(func.count(SmsJoinRequest.id)).where(SmsJoinRequest.contact_hash == digest)
    if db.session.scalars(recent).one() >= SMS_JOINS_PER_WAIT:
        return SmsAnswer("too_many_joins", {})
    db.session.add(
        SmsJoinRequest(
            contact_hash=digest,
            group_id=group.id,
            # Cleaned by the join itself (YES); only cut to the column here.
            display_name=" ".join(name.split())[: service.MAX_NAME_LENGTH],
            language=language,
        )
    )
    db.session.flush()
    return SmsAnswer("pledge", {"event": event.title, "pledge": event.campaign.pledge})


def sms_yes(phone: str) -> SmsAnswer:
    """YES: accept the pledge of the last JOIN from this phone (within SMS_JOIN_WAITS)."""
    digest = hash_of(phone)
    request = db.session.scalar(
        select(SmsJoinRequest)
        .where(
            SmsJoinRequest.contact_hash == digest,
            SmsJoinRequest.created_at >= utcnow() - SMS_JOIN_WAITS,
        )
        .order_by(SmsJoinRequest.created_at.desc(), SmsJoinRequest.id.desc())
        .limit(1)
    )
    if request is None:
        return SmsAnswer("nothing_to_accept", {})
    group = db.session.get_one(Group, request.group_id)
    name = request.display_name or phone[-4:]
    db.session.delete(request)
    volunteer = service.Volunteer(display_name=name, contact=phone, pledge_accepted=True)
    joined = service.join_group(group, volunteer, proven=True)
    joined.membership.language = request.language
    return SmsAnswer("joined", {"event": group.event.title})


def sms_link(phone: str) -> SmsAnswer:
    memberships = verified_memberships(hash_of(phone))
    sent = [m for m in memberships if send_link(m, "sms")]
    if not memberships:
        return SmsAnswer("not_signed_up", {})
    return SmsAnswer("link_sent" if sent else "link_limit", {})


def sms_safe(phone: str) -> SmsAnswer:
    """SAFE: home safe, for the events of today (within the check-in window)."""
    now = utcnow()
    today = [
        m
        for m in verified_memberships(hash_of(phone))
        if service.check_in_opens_at(m.group.event) <= now
    ]
    if not today:
        return SmsAnswer("no_event_today", {})
    for membership in today:
        if membership.checked_in_at is None:
            membership.checked_in_at = now  # they were there: the text says so
        service.check_out_home_safe(membership)
    return SmsAnswer("home_safe", {})


def sms_stop(phone: str) -> SmsAnswer:
    """STOP: no more messages for any of this phone's sign-ups."""
    for membership in db.session.scalars(
        select(Membership).where(Membership.contact_hash == hash_of(phone))
    ):
        service.stop_messages(membership)
    return SmsAnswer("stopped", {})
