"""The group rules: nobody stands alone, no group overfills, nobody joins twice.

Every change to an event's groups first takes the event's sign-up lock (``lock_event``):
SELECT … FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite. A unique constraint on
(event, contact) is the last line. Services add and flush; the caller commits.
"""

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from campaign.access import may_edit, require
from campaign.extensions import db
from campaign.forms import without_unsafe_format
from campaign.groups import messages, verification
from campaign.groups.contacts import ContactError, contact_hash, normalise_contact
from campaign.localtime import local_to_utc
from campaign.lookup import group_by_code as group_by_code
from campaign.lookup import hash_token as hash_token
from campaign.lookup import membership_by_token as membership_by_token
from campaign.lookup import normalise_code as normalise_code
from campaign.models import (
    DepartedLink,
    Event,
    EventStatus,
    Group,
    GroupActivity,
    GroupActivityKind,
    GroupState,
    Membership,
    Organiser,
    utcnow,
)
from campaign.models.group_sizes import fits_in_one_group, group_state
from campaign.service_errors import ServiceError
from campaign.transactions import lock_event, locked

MAX_NAME_LENGTH = 60
#: Check-in opens this long before the start and closes this long after the end.
CHECK_IN_WINDOW = timedelta(hours=12)


class SignUpError(ServiceError):
    """A group rule was broken; ``code`` says which. ``membership`` is set for duplicates."""

    def __init__(self, code: str, field: str | None = None, *, membership=None, **detail):
        super().__init__(code, field, **detail)
        self.membership: Membership | None = membership


@dataclass
class Volunteer:
    """What a volunteer types to join: no account, as little as possible."""

    display_name: str
    contact: str
    pledge_accepted: bool
    share_contact: bool = False


@dataclass
class Joined:
    membership: Membership
    #: The secret for /me/<token>; exists only here, shown once, stored only as a hash.
    token: str


# --- tokens ------------------------------------------------------------------------------


def new_member_token() -> str:
    """The secret for /me/<token>: 192 bits."""
    return secrets.token_urlsafe(24)


# --- locking and checks ----------------------------------------------------------------------


def _lock_group(group: Group) -> Group:
    lock_event(group.event)
    return locked(Group, group.id)


def signup_closes_at(event: Event) -> datetime:
    return event.signup_deadline or event.starts_at


def signup_closed(event: Event) -> bool:
    return utcnow() >= signup_closes_at(event)


def _check_open(event: Event) -> None:
    if event.status is not EventStatus.PUBLISHED:
        raise SignUpError("event_not_open")
    now = utcnow()
    if now >= event.ends_at:
        raise SignUpError("event_over")
    if now >= signup_closes_at(event):
        raise SignUpError("deadline_passed")


def _plain(text: str | None) -> str:
    """One line of printable text: control characters (NUL included), line and paragraph
    separators become spaces. Format characters are text (the zero-width non-joiner is
    spelling in Persian) and stay, except those that reorder or hide text,
    which go (``campaign.forms.UNSAFE_FORMAT`` says which, and why)."""
    kept = without_unsafe_format(text or "")
    return " ".join("".join(ch if _is_text(ch) else " " for ch in kept).split())


def _is_text(ch: str) -> bool:
    return ch.isprintable() or unicodedata.category(ch) == "Cf"


def _checked_volunteer(event: Event, volunteer: Volunteer) -> tuple[str, str, str]:
    name = _plain(volunteer.display_name)
    if not name:
        raise SignUpError("name_required")
    if len(name) > MAX_NAME_LENGTH:
        raise SignUpError("name_too_long")
    if not volunteer.pledge_accepted:
        raise SignUpError("pledge_required")
    try:
        kind, contact = normalise_contact(volunteer.contact, event.country)
    except ContactError as error:
        raise SignUpError(error.code) from None
    return name, kind, contact


def _existing_membership(event: Event, digest: str) -> Membership | None:
    """The contact's verified membership of the event. Unverified ones do not block a
    join: whoever typed someone else's number must not lock its owner out."""
    return db.session.scalar(
        select(Membership).where(
            Membership.event_id == event.id,
            Membership.contact_hash == digest,
            Membership.verified_at.is_not(None),
        )
    )


def release_expired_holds(event: Event) -> int:
    """Free the seats of memberships never verified within the hold (the event is
    locked by the caller). Returns how many were released."""
    cutoff = utcnow() - verification.hold()
    expired = list(
        db.session.scalars(
            select(Membership).where(
                Membership.event_id == event.id,
                Membership.verified_at.is_(None),
                Membership.joined_at < cutoff,
            )
        )
    )
    for membership in expired:
        db.session.delete(membership)
    if expired:
        db.session.flush()
    return len(expired)


def _live_groups(event: Event) -> list[Group]:
    return list(
        db.session.scalars(
            select(Group)
            .where(Group.event_id == event.id, Group.merged_into_id.is_(None))
            .order_by(Group.created_at, Group.id)
            .execution_options(populate_existing=True)
        )
    )


def _record(group: Group, kind: GroupActivityKind, name: str = "") -> None:
    db.session.add(GroupActivity(group_id=group.id, kind=kind, display_name=name))
    _changed(group)


def _changed(group: Group) -> None:
    """Members' calendars must update: a new SEQUENCE (groups are locked when changed)."""
    group.changed_at = utcnow()
    group.revision = (group.revision or 0) + 1


# --- joining -------------------------------------------------------------------------------


def _add_member(
    event: Event, group: Group, volunteer: Volunteer, token: str | None, *, proven: bool = False
) -> Joined:
    """``proven``: the contact is already proven (the volunteer texted from that phone)."""
    name, kind, contact = _checked_volunteer(event, volunteer)
    digest = contact_hash(contact, current_app.config["CONTACT_HASH_KEY"])
    verified = None if verification.required(event) else utcnow()
    existing = _existing_membership(event, digest)
    # With verification, typing a contact that is signed up is answered like any other
    # join (a code goes to the contact, whose owner alone learns "already joined"): the
    # page never tells a stranger that a number is signed up for this event.
    if existing is not None and (verified is not None or proven):
        raise SignUpError("already_joined", membership=existing)
    if group.is_full:
        raise SignUpError("group_full")
    token = token or new_member_token()
    was = group.state
    membership = Membership(
        group=None,
        event_id=event.id,
        display_name=name,
        contact=contact,
        contact_kind=kind,
        contact_hash=digest,
        share_contact=volunteer.share_contact,
        token_hash=hash_token(token),
        is_leader=verified is not None and group.leader is None,
        pledge_accepted_at=utcnow(),
        verified_at=verified,
        language=str(get_locale() or "en"),
    )
    _insert(membership, group)
    if verified is not None:
        _welcome(membership, token, was)
    elif proven:
        confirm_contact(membership, token, group)
    else:
        _send_code(membership, token)
    return Joined(membership, token)


def _insert(membership: Membership, group: Group) -> None:
    try:
        # Everything new is made inside the savepoint: begin_nested() flushes what is
        # pending before its SAVEPOINT, and a failed flush there would end the whole
        # transaction instead of only this join.
        with db.session.begin_nested():
            membership.group = group
            db.session.add(membership)
            _changed(group)
    except IntegrityError:
        # Only reachable if the lock was bypassed: the unique constraint held the line.
        raise SignUpError("already_joined") from None
    db.session.refresh(group)


def _send_code(membership: Membership, token: str) -> None:
    try:
        verification.send_code(membership, token)
    except verification.VerificationRefused as refused:
        raise SignUpError(refused.code) from None


def _welcome(membership: Membership, token: str, was: GroupState) -> None:
    """A verified member is in: the group sees them, and they get their link."""
    group = membership.group
    _record(group, GroupActivityKind.JOINED, membership.display_name)
    db.session.flush()
    db.session.refresh(group)
    messages.joined(membership, token)
    messages.state_changed(group, was)


def resend_code(membership: Membership, token: str) -> None:
    """A new code for a member still confirming (the first was lost or used up)."""
    _lock_group(membership.group)
    db.session.refresh(membership)
    if membership.verified_at is not None:
        raise SignUpError("already_verified")
    _send_code(membership, token)


def verify(membership: Membership, typed: str, token: str) -> str:
    """Check the code a member typed; on success the membership counts. Returns "ok",
    "already_verified", "wrong", "expired", "too_many_tries" or "already_joined" (the
    contact was verified in another membership first: this one is released). The
    caller commits whatever the outcome: a wrong guess must stay counted."""
    group = _lock_group(membership.group)
    db.session.refresh(membership)
    if membership.verified_at is not None:
        return "already_verified"
    outcome = verification.check(membership, verification.normalise_typed_code(typed))
    if outcome == "ok":
        outcome = confirm_contact(membership, token, group)
    return outcome


def confirm_contact(membership: Membership, token: str, group: Group | None = None) -> str:
    """The contact is proven (a code, or an SMS from the phone): the membership counts.
    Other unverified memberships of the same contact in the event (a squatter, or the same
    person from another device) are released. The group is locked by the caller."""
    group = group or _lock_group(membership.group)
    event = group.event
    if _existing_membership(event, membership.contact_hash) is not None:
        db.session.delete(membership)
        db.session.flush()
        return "already_joined"
    was = group.state
    squatters = delete(Membership).where(
        Membership.event_id == event.id,
        Membership.contact_hash == membership.contact_hash,
        Membership.verified_at.is_(None),
        Membership.id != membership.id,
    )
    db.session.execute(squatters.execution_options(synchronize_session="fetch"))
    membership.verified_at = utcnow()
    db.session.flush()
    db.session.refresh(group)
    if group.leader is None or not group.leader.is_verified:
        for member in group.members:
            member.is_leader = member.id == membership.id
    _welcome(membership, token, was)
    return "ok"


def choose_group(groups: list[Group], min_size: int, max_size: int) -> Group | None:
    """The forming group closest to its minimum (in verified members), else the smallest
    ready group with room; never a group whose seats are all taken."""
    sized = [(g, g.member_count) for g in groups if 0 < g.seat_count < max_size]
    forming = [(g, n) for g, n in sized if group_state(n, min_size, max_size) is GroupState.FORMING]
    if forming:
        return max(forming, key=lambda gn: gn[1])[0]  # max() keeps the oldest of equals
    ready = [(g, n) for g, n in sized if group_state(n, min_size, max_size) is GroupState.READY]
    if ready:
        return min(ready, key=lambda gn: gn[1])[0]
    return None


def join_any_group(event: Event, volunteer: Volunteer, *, token: str | None = None) -> Joined:
    """Join the group that most needs people; open a new one only when none has room.

    ``token`` (for every join): the member token the device was given with the form, so a
    retry after a lost reply finds the membership it made; None for a new one."""
    event = lock_event(event)
    _check_open(event)
    _checked_volunteer(event, volunteer)
    release_expired_holds(event)
    group = choose_group(_live_groups(event), event.min_group_size, event.max_group_size)
    if group is None:
        group = _new_group(event)
    return _add_member(event, group, volunteer, token)


def start_group(event: Event, volunteer: Volunteer, *, token: str | None = None) -> Joined:
    """Open a new group with the volunteer as its leader."""
    event = lock_event(event)
    _check_open(event)
    _checked_volunteer(event, volunteer)
    release_expired_holds(event)
    return _add_member(event, _new_group(event), volunteer, token)


def join_group(
    group: Group, volunteer: Volunteer, *, token: str | None = None, proven: bool = False
) -> Joined:
    """Join one group, as by its join code. ``proven``: see ``_add_member``."""
    group = _lock_group(group)
    if group.merged_into_id is not None:
        raise SignUpError("group_merged")
    _check_open(group.event)
    if release_expired_holds(group.event):
        db.session.refresh(group)
    return _add_member(group.event, group, volunteer, token, proven=proven)


def _new_group(event: Event) -> Group:
    group = Group(event_id=event.id)
    db.session.add(group)
    db.session.flush()
    return group


# --- leaving -------------------------------------------------------------------------------


def leaving_drops_below_minimum(membership: Membership) -> bool:
    """Whether the group would be forming (below its minimum) without this member."""
    group = membership.group
    if membership.verified_at is None:
        return False  # the group does not count them
    event = group.event
    left = group.member_count - 1
    return group_state(left, event.min_group_size, event.max_group_size) is GroupState.FORMING


def _remove(membership: Membership, kind: GroupActivityKind) -> Group:
    group = membership.group
    was_leader = membership.is_leader
    was = group.state
    name = membership.display_name
    verified = membership.verified_at is not None
    departed = DepartedLink(token_hash=membership.token_hash, event_id=group.event_id, kind=kind)
    db.session.delete(membership)
    db.session.add(departed)  # the old link will say what happened, and how to come back
    db.session.flush()
    db.session.refresh(group)
    if not verified:
        _changed(group)
        return group
    _record(group, kind, name)
    messages.state_changed(group, was)
    if was_leader:
        successor = next(iter(group.verified_members), None)
        if successor is not None:
            successor.is_leader = True
            _record(group, GroupActivityKind.LEADER, successor.display_name)
    db.session.flush()
    return group


def leave_group(membership: Membership, *, confirmed: bool = False) -> Group:
    """Leave; if the group would fall below its minimum the volunteer must confirm first."""
    _lock_group(membership.group)
    db.session.refresh(membership)
    if leaving_drops_below_minimum(membership) and not confirmed:
        raise SignUpError("confirm_leave")
    return _remove(membership, GroupActivityKind.LEFT)


def remove_member(leader: Membership, member: Membership) -> Group:
    _lock_group(leader.group)
    if not leader.is_leader:
        raise SignUpError("not_leader")
    if member.group_id != leader.group_id:
        raise SignUpError("not_in_group")
    if member.id == leader.id:
        raise SignUpError("cannot_remove_self")
    return _remove(member, GroupActivityKind.REMOVED)


# --- leader tools -----------------------------------------------------------------------


def _lock_as_leader(leader: Membership) -> Group:
    """The leader's group, locked (its revision is the members' calendar SEQUENCE: two
    changes at once must both count), with leadership checked under the lock."""
    group = _lock_group(leader.group)
    db.session.refresh(leader)
    if not leader.is_leader or leader.group_id != group.id or leader.verified_at is None:
        raise SignUpError("not_leader")
    return group


def rename_group(leader: Membership, name: str) -> None:
    name = _plain(name)
    if len(name) > MAX_NAME_LENGTH:
        raise SignUpError("group_name_too_long")
    group = _lock_as_leader(leader)
    group.name = name
    _changed(group)
    db.session.flush()


def _meeting_in_utc(at: datetime | None, event: Event) -> datetime | None:
    """A naive time is the wall-clock time the leader typed, in the event's own zone."""
    if at is None or at.tzinfo is not None:
        return at
    try:
        return local_to_utc(at, event.zone)
    except (ValueError, OverflowError):  # skipped by the clocks, or beyond datetime's range
        raise SignUpError("meeting_time_nonexistent") from None


def set_meeting(leader: Membership, point: str, at: datetime | None) -> None:
    """Where and when the group meets before it walks in together (members only see it).

    ``at``: the wall-clock time in the event's zone as typed (naive), or an aware instant."""
    point = _plain(point)
    if len(point) > 200:
        raise SignUpError("meeting_point_too_long")
    group = _lock_as_leader(leader)
    event = group.event
    at = _meeting_in_utc(at, event)
    if at is not None:
        if at >= event.ends_at:
            raise SignUpError("meeting_after_end")
        if at < event.starts_at - timedelta(hours=24):
            raise SignUpError("meeting_too_early")
    changed = (group.meeting_point, group.meeting_at) != (point, at)
    group.meeting_point = point
    group.meeting_at = at
    _changed(group)
    db.session.flush()
    if changed:
        messages.meeting_changed(group)


# --- on the day ----------------------------------------------------------------------------


def check_in_opens_at(event: Event) -> datetime:
    return event.starts_at - CHECK_IN_WINDOW


def check_in_open(event: Event, now: datetime | None = None) -> bool:
    """Whether "I'm with my group" can be pressed now: the one rule for the button, the
    service and the SMS (the button is shown only while it works)."""
    now = now or utcnow()
    published = event.status is EventStatus.PUBLISHED
    return published and check_in_opens_at(event) <= now <= event.ends_at + CHECK_IN_WINDOW


def check_in(membership: Membership) -> None:
    """'I'm with my group at the venue.'"""
    if membership.verified_at is None:
        raise SignUpError("not_verified")
    event = membership.group.event
    if event.status is not EventStatus.PUBLISHED:
        raise SignUpError("event_not_open")
    now = utcnow()
    if not check_in_open(event, now):
        raise SignUpError("check_in_closed")
    if membership.checked_in_at is None:
        membership.checked_in_at = now
    db.session.flush()


def check_out_home_safe(membership: Membership) -> None:
    if membership.checked_in_at is None:
        raise SignUpError("not_checked_in")
    if membership.home_safe_at is None:
        membership.home_safe_at = utcnow()
    db.session.flush()


# --- organisers ----------------------------------------------------------------------------


def merge_groups(source: Group, target: Group, organiser: Organiser) -> Group:
    """Move everyone from one forming group into another, never above the maximum."""
    require(may_edit(organiser, source.event))
    event = lock_event(source.event)
    return _merge(event, source, target)


def _merge(event: Event, source: Group, target: Group) -> Group:
    db.session.refresh(source)
    db.session.refresh(target)
    if source.id == target.id:
        raise SignUpError("merge_same_group")
    if source.event_id != event.id or target.event_id != event.id:
        raise SignUpError("merge_other_event")
    if source.merged_into_id or target.merged_into_id:
        raise SignUpError("group_merged")
    for group in (source, target):
        if group.state is not GroupState.FORMING:
            raise SignUpError("merge_not_forming")
    if not fits_in_one_group(source.seat_count + target.seat_count, event.max_group_size):
        raise SignUpError("merge_too_large")
    was = target.state
    has_leader = target.leader is not None
    for member in list(source.members):
        member.group = target
        if has_leader:
            member.is_leader = False
        has_leader = has_leader or member.is_leader
    source.merged_into_id = target.id
    # Moved members' calendar SEQUENCE must not go backwards: above both groups' revisions.
    target.revision = max(source.revision, target.revision)
    db.session.flush()
    _record(target, GroupActivityKind.MERGED)
    _record(source, GroupActivityKind.MERGED)
    db.session.flush()
    db.session.refresh(target)
    db.session.refresh(source)
    messages.state_changed(target, was)
    return target


@dataclass
class Consolidation:
    merges: list[tuple[Group, Group]] = field(default_factory=list)  # (source, into)
    still_forming: list[Group] = field(default_factory=list)


def consolidate(event: Event, organiser: Organiser | None = None) -> Consolidation:
    """Merge forming groups where the merged group fits; report the ones still too small.

    ``organiser`` None means the command line (trusted operator)."""
    if organiser is not None:
        require(may_edit(organiser, event))
    event = lock_event(event)
    result = Consolidation()
    while True:
        forming = sorted(
            (g for g in _live_groups(event) if g.member_count and g.state is GroupState.FORMING),
            key=lambda g: (-g.member_count, g.created_at, g.id),
        )
        pair = _best_merge(forming, event.max_group_size)
        if pair is None:
            break
        source, target = pair
        _merge(event, source, target)
        result.merges.append((source, target))
    result.still_forming = [
        g for g in _live_groups(event) if g.member_count and g.state is GroupState.FORMING
    ]
    return result


def _best_merge(forming: list[Group], max_size: int) -> tuple[Group, Group] | None:
    """The largest forming group takes in the largest other forming group that fits."""
    for target in forming:
        for source in forming:
            together = source.seat_count + target.seat_count
            if source is not target and fits_in_one_group(together, max_size):
                return source, target
    return None


# --- messages ------------------------------------------------------------------------------


def stop_messages(membership: Membership) -> None:
    """No more messages to this member (they can still open their page)."""
    if membership.messages_stopped_at is None:
        membership.messages_stopped_at = utcnow()
    db.session.flush()


def resume_messages(membership: Membership) -> None:
    membership.messages_stopped_at = None
    db.session.flush()
