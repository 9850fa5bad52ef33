"""Finding what a URL names by its key: an event by its ref, a campaign by its slug, a
membership by its secret link, a group by its join code. No rules here: ``campaign.access``
decides who may have what was found."""

import hashlib

from sqlalchemy import select

from campaign.extensions import db
from campaign.models import Campaign, Event
from campaign.models.groups import DepartedLink, Group, Membership


def event_by_ref(ref: str) -> Event | None:
    return db.session.scalar(select(Event).where(Event.ref == ref.lower()))


def campaign_by_slug(slug: str) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug.lower()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def membership_by_token(token: str) -> Membership | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Membership).where(Membership.token_hash == hash_token(token)))


def departed_link(token: str) -> DepartedLink | None:
    """The record that this member link's member left or was removed, if it is one."""
    if not token or len(token) > 100:
        return None
    return db.session.get(DepartedLink, hash_token(token))


def group_by_code(code: str) -> Group | None:
    """Find a group by its join code as typed; a merged group leads to the one it joined."""
    group = db.session.scalar(select(Group).where(Group.join_code == normalise_code(code)))
    seen = 0
    while group is not None and group.merged_into_id is not None and seen < 10:
        group, seen = db.session.get(Group, group.merged_into_id), seen + 1
    return group


def normalise_code(typed: str) -> str:
    """'abcd efgh', 'ABCD-EFGH' → 'ABCDEFGH'."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())[:32]
