"""What a group's members are told, and when: recorded in the outbox (same transaction as
the change), sent later by the queue. Keys make each message once: a group turning ready
at revision 7 tells each member once, however often it is planned."""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from campaign.messaging import outbox
from campaign.messaging.links import external_url
from campaign.models import Group, GroupState, Membership

SAFE = (GroupState.READY, GroupState.FULL)


def _unsubscribe_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")


def unsubscribe_token(membership: Membership) -> str:
    return str(_unsubscribe_signer().dumps(membership.id))


def membership_id_from_unsubscribe(token: str) -> int | None:
    try:
        value = _unsubscribe_signer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(membership: Membership) -> str:
    return external_url("groups.unsubscribe", signed=unsubscribe_token(membership))


def to_member(kind: str, membership: Membership, key: str, **context) -> None:
    """One message to one verified member (with the unsubscribe link)."""
    if membership.verified_at is None:
        return
    context.setdefault("unsubscribe_url", unsubscribe_url(membership))
    outbox.queue(kind, membership, key, **context)


def to_group(kind: str, group: Group, key_part: str, **context) -> None:
    for member in group.verified_members:
        to_member(kind, member, f"{kind}:{member.id}:{key_part}", group=group, **context)


def joined(membership: Membership, token: str) -> None:
    link = external_url("groups.member", token=token)
    to_member("joined", membership, f"joined:{membership.id}", link=link)


def link_again(membership: Membership, token: str, reason: str) -> None:
    """The member's (new) link, asked for again: sent only to the verified contact."""
    link = external_url("groups.member", token=token)
    outbox.queue("link", membership, f"link:{membership.id}:{reason}", link=link)


def state_changed(group: Group, was: GroupState | None) -> None:
    """Tell the members when the group turned safe, or fell below its minimum."""
    now = group.state
    if was is not None and was not in SAFE and now in SAFE:
        to_group("ready", group, str(group.revision))
    elif was in SAFE and now not in SAFE:
        to_group("below_minimum", group, str(group.revision))


def meeting_changed(group: Group) -> None:
    to_group("meeting", group, str(group.revision))
