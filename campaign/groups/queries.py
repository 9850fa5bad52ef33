"""Read-only queries about groups: summaries for public pages, boards for organisers."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from campaign.extensions import db
from campaign.models import (
    ContactAccess,
    Event,
    Group,
    GroupActivity,
    GroupState,
    Membership,
    Organiser,
    group_state,
)
from campaign.models.group_sizes import people_needed


@dataclass
class GroupSummary:
    """What the public may know about an event's groups: counts, never names."""

    forming: int = 0
    ready: int = 0
    full: int = 0
    #: People still needed to bring every forming group to its minimum.
    people_needed: int = 0
    volunteers: int = 0

    @property
    def groups(self) -> int:
        return self.forming + self.ready + self.full


def group_summary(event: Event) -> GroupSummary:
    """Counts of verified members only: a seat held by someone still confirming (perhaps an
    invented number) never makes a group look ready to the public."""
    sizes = db.session.execute(
        select(func.count(Membership.verified_at), func.count(Membership.id))
        .join(Group, Membership.group_id == Group.id)
        .where(Group.event_id == event.id, Group.merged_into_id.is_(None))
        .group_by(Group.id)
    ).all()
    summary = GroupSummary()
    for size, seats in sizes:
        state = group_state(size, event.min_group_size, event.max_group_size, seats)
        summary.volunteers += size
        if state is GroupState.FORMING:
            summary.forming += 1
            summary.people_needed += people_needed(size, event.min_group_size)
        elif state is GroupState.READY:
            summary.ready += 1
        else:
            summary.full += 1
    return summary


def board_groups(event: Event) -> list[Group]:
    """Every live group of the event with its members, in two queries."""
    return list(
        db.session.scalars(
            select(Group)
            .where(Group.event_id == event.id, Group.merged_into_id.is_(None))
            .options(selectinload(Group.members))
            .order_by(Group.created_at, Group.id)
        )
    )


def recent_activity(group: Group, since, limit: int = 10) -> list[GroupActivity]:
    """What happened in the group since ``since``: newcomers do not learn who left before."""
    return list(
        db.session.scalars(
            select(GroupActivity)
            .where(GroupActivity.group_id == group.id, GroupActivity.at >= since)
            .order_by(GroupActivity.at.desc(), GroupActivity.id.desc())
            .limit(limit)
        )
    )


def contact_log(campaign, limit: int = 500) -> list[tuple]:
    """(when, organiser's name and email, event title and ref, action), newest first."""
    return list(
        db.session.execute(
            select(
                ContactAccess.at,
                Organiser.display_name,
                Organiser.email,
                Event.title,
                Event.ref,
                ContactAccess.action,
            )
            .join(Organiser, Organiser.id == ContactAccess.organiser_id)
            .join(Event, Event.id == ContactAccess.event_id)
            .where(Event.campaign_id == campaign.id)
            .order_by(ContactAccess.at.desc(), ContactAccess.id.desc())
            .limit(limit)
        ).all()
    )
