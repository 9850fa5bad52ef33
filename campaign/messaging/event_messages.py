"""What the members of an event's groups are told when the event itself changes: its time
or place moved (once per member and event revision), or it was cancelled (once per
member). Recorded in the caller's transaction, like every message."""

from sqlalchemy import select

from campaign.extensions import db
from campaign.groups import messages
from campaign.models import Event, Group, Membership


def _verified_members(event: Event) -> list[Membership]:
    """The verified members of the event's live (not merged) groups."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.group)
            .where(
                Group.event_id == event.id,
                Group.merged_into_id.is_(None),
                Membership.verified_at.is_not(None),
            )
            .order_by(Membership.id)
        )
    )


def event_changed(event: Event) -> None:
    """The published event's time or place changed (its revision was bumped)."""
    for member in _verified_members(event):
        key = f"event_changed:{member.id}:{event.revision}"
        messages.to_member("event_changed", member, key, group=member.group)


def cancelled(event: Event) -> None:
    for member in _verified_members(event):
        messages.to_member("cancelled", member, f"cancelled:{member.id}", group=member.group)
