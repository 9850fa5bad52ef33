"""Messages that are due because of the time, not because someone did something: the
reminders before an event, the warning when the sign-up deadline passed with the group
still forming, and the "home safe?" prompt after it (then a note to the group leader).

``plan_due(now)`` is called every minute by the queue's periodic task and by ``flask
deliver``. Each kind asks SQL for only the events whose window contains ``now`` and for
their verified members who have not stopped messages, then records what is not recorded
yet: keys make every message once however often it is planned (the start time is in a
reminder's key, so an event moved to another time reminds again).

Nothing is planned for events that are not published (drafts, cancelled), purged ones,
merged groups, unverified or stopped members."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from campaign.extensions import db
from campaign.groups import messages
from campaign.messaging import outbox
from campaign.models import Event, EventStatus, Group, Membership, Message, utcnow
from campaign.transactions import begin_write

REMINDER_24H = timedelta(hours=24)
REMINDER_2H = timedelta(hours=2)
#: The "home safe?" prompt this long after the end; the leader's note this long after.
HOME_SAFE_PROMPT = timedelta(hours=2)
HOME_SAFE_LEADER = timedelta(hours=3)
#: How long the leader waits after a member's prompt before being told about them.
LEADER_AFTER_PROMPT = timedelta(hours=1)
#: After this, nobody is asked or told about home safe any more.
HOME_SAFE_UNTIL = timedelta(hours=12)

#: Keys looked up at once (well below every database's limit on bound parameters).
_KEY_BATCH = 500


def plan_due(now: datetime | None = None) -> int:
    """Record every time-based message due at ``now`` (default: now) and commit; returns
    how many were recorded."""
    now = now or utcnow()
    # SQLite: the write lock before the first read, so a planner that finds something to
    # record never fails upgrading its read (two planners, or a planner and a request).
    begin_write()
    recorded = 0
    for plan in (_reminders_24h, _reminders_2h, _deadline_forming, _home_safe_prompts):
        recorded += _record(now, plan(now))
    recorded += _record(now, _home_safe_leaders(now))
    db.session.commit()
    return recorded


# --- what is due ----------------------------------------------------------------------------

#: (kind, membership, key, context) for one message.
Due = tuple[str, Membership, str, dict]


def _members(*conditions: ColumnElement[bool]) -> Select:
    """Verified, not stopped members of live groups of published events, with their group
    and event loaded (what the messages are written from)."""
    return (
        select(Membership)
        .join(Membership.group)
        .join(Group.event)
        .options(contains_eager(Membership.group).contains_eager(Group.event))
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.purged_at.is_(None),
            Group.merged_into_id.is_(None),
            Membership.verified_at.is_not(None),
            Membership.messages_stopped_at.is_(None),
            *conditions,
        )
        .order_by(Membership.id)
    )


def _start_stamp(event: Event) -> str:
    return event.starts_at.strftime("%Y%m%dT%H%M")


def _reminders(kind: str, starts_after: datetime, starts_by: datetime) -> Iterable[Due]:
    query = _members(Event.starts_at > starts_after, Event.starts_at <= starts_by)
    for member in db.session.scalars(query).unique():
        key = f"{kind}:{member.id}:{_start_stamp(member.group.event)}"
        yield kind, member, key, {"group": member.group}


def _reminders_24h(now: datetime) -> Iterable[Due]:
    """24 h before the start until 2 h before it (then the 2 h reminder takes over)."""
    return _reminders("reminder_24h", now + REMINDER_2H, now + REMINDER_24H)


def _reminders_2h(now: datetime) -> Iterable[Due]:
    return _reminders("reminder_2h", now, now + REMINDER_2H)


def _deadline_forming(now: datetime) -> Iterable[Due]:
    """The sign-up deadline (``groups.service.signup_closes_at``: the deadline, or the
    start) has passed, the event has not started, and the group is still below its
    minimum of verified members: "not safe, do not go alone"."""
    closes_at = func.coalesce(Event.signup_deadline, Event.starts_at)
    query = _members(
        closes_at <= now,
        Event.starts_at > now,
        Group.member_count < Event.min_group_size,
    )
    for member in db.session.scalars(query).unique():
        key = f"deadline_forming:{member.id}:{member.event_id}"
        yield "deadline_forming", member, key, {"group": member.group}


def _ended_between(now: datetime, after_end: timedelta) -> tuple[ColumnElement[bool], ...]:
    """The event ended at least ``after_end`` and less than HOME_SAFE_UNTIL before ``now``."""
    return Event.ends_at <= now - after_end, Event.ends_at > now - HOME_SAFE_UNTIL


def _home_safe_prompts(now: datetime) -> Iterable[Due]:
    query = _members(*_ended_between(now, HOME_SAFE_PROMPT), Membership.home_safe_at.is_(None))
    for member in db.session.scalars(query).unique():
        key = f"home_safe_prompt:{member.id}:{member.event_id}"
        yield "home_safe_prompt", member, key, {"group": member.group}


def _silent_members(now: datetime) -> dict[int, list[str]]:
    """Group id → names of the members (not the leader) asked "home safe?" at least an hour
    ago who have not answered, for the events that ended HOME_SAFE_LEADER ago or more."""
    prompted = (
        select(Message.id)
        .where(
            Message.membership_id == Membership.id,
            Message.kind == "home_safe_prompt",
            Message.created_at <= now - LEADER_AFTER_PROMPT,
        )
        .exists()
    )
    query = (
        select(Membership)
        .join(Membership.group)
        .join(Group.event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.purged_at.is_(None),
            Group.merged_into_id.is_(None),
            *_ended_between(now, HOME_SAFE_LEADER),
            Membership.verified_at.is_not(None),
            Membership.home_safe_at.is_(None),
            Membership.is_leader.is_(False),
            prompted,
        )
        .order_by(Membership.joined_at, Membership.id)
    )
    silent: dict[int, list[str]] = defaultdict(list)
    for member in db.session.scalars(query):
        silent[member.group_id].append(member.display_name)
    return silent


def _home_safe_leaders(now: datetime) -> Iterable[Due]:
    """The leader of each group with silent members: the email names them, the SMS only
    counts them."""
    silent = _silent_members(now)
    if not silent:
        return
    leaders = db.session.scalars(
        _members(Membership.is_leader.is_(True), Membership.group_id.in_(silent))
    ).unique()
    for leader in leaders:
        names = silent[leader.group_id]
        key = f"home_safe_leader:{leader.id}:{leader.event_id}"
        context = {"group": leader.group, "names": names, "count": len(names)}
        yield "home_safe_leader", leader, key, context


# --- recording ------------------------------------------------------------------------------


def _already_recorded(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _KEY_BATCH):
        batch = keys[start : start + _KEY_BATCH]
        found.update(db.session.scalars(select(Message.key).where(Message.key.in_(batch))))
    return found


def _record(now: datetime, due: Iterable[Due]) -> int:
    """Record the messages not recorded before, each in a savepoint: another planner
    recording the same key at the same moment costs nothing but that one duplicate."""
    pending = list(due)
    done = _already_recorded([key for _kind, _member, key, _context in pending])
    recorded = 0
    for kind, member, key, context in pending:
        if key not in done:
            recorded += _record_one(now, kind, member, key, context)
    return recorded


def _record_one(now: datetime, kind: str, member: Membership, key: str, context: dict) -> int:
    unsubscribe = messages.unsubscribe_url(member)
    try:
        with db.session.begin_nested():
            message = outbox.queue(kind, member, key, unsubscribe_url=unsubscribe, **context)
            if message is not None:
                # Planned at ``now``: the leader's note counts its hour from the prompt.
                message.created_at = now
    except IntegrityError:
        return 0
    return 0 if message is None else 1
