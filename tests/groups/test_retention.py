"""Retention: after an event ends and the campaign's days pass, personal data goes, counts stay."""

from datetime import timedelta

from sqlalchemy import func, select, text

from campaign.extensions import db
from campaign.groups import retention, service
from campaign.models import DepartedLink, GroupActivity, Membership, utcnow


def _ended(event, days_ago):
    """Move an event into the past (as if it happened), keeping its length."""
    length = event.ends_at - event.starts_at
    event.ends_at = utcnow() - timedelta(days=days_ago)
    event.starts_at = event.ends_at - length
    event.signup_deadline = None
    db.session.commit()


def test_purge_deletes_personal_data_and_keeps_counts(runner, make_event, make_group):
    event = make_event(min_group_size=3)
    group = make_group(event, 3)
    make_group(event, 1)
    leader = next(m for m in group.members if m.is_leader)
    service.set_meeting(leader, "By the fountain", None)
    service.rename_group(leader, "Zahra's friends")
    for member in group.members[:2]:
        member.checked_in_at = utcnow()
    group.members[0].home_safe_at = utcnow()
    db.session.commit()
    service.leave_group(make_group(event, 1).members[0], confirmed=True)  # a departed link
    db.session.commit()
    recent = make_event(campaign=event.campaign)
    make_group(recent, 2)
    _ended(event, days_ago=8)  # retention is 7 days by default
    _ended(recent, days_ago=2)

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 events, 4 volunteers' personal data." in result.output
    db.session.expire_all()
    assert (
        db.session.scalar(select(func.count(Membership.id)).where(Membership.event_id == event.id))
        == 0
    )
    assert (
        db.session.scalar(select(func.count(Membership.id)).where(Membership.event_id == recent.id))
        == 2
    )  # not due yet
    assert (
        db.session.scalar(
            select(func.count(GroupActivity.id)).where(GroupActivity.group_id == group.id)
        )
        == 0
    )
    assert db.session.scalar(select(func.count()).select_from(DepartedLink)) == 0
    names = db.session.execute(
        text("SELECT name, meeting_point FROM volunteer_group WHERE id = :id"), {"id": group.id}
    ).one()
    assert tuple(names) == ("", "")
    db.session.refresh(event)
    assert event.purged_at is not None
    assert (event.purged_groups, event.purged_volunteers) == (2, 4)
    assert (event.purged_checked_in, event.purged_home_safe) == (2, 1)

    again = runner.invoke(args=["purge"])
    assert "Purged 0 events, 0 volunteers' personal data." in again.output  # idempotent
    db.session.refresh(event)
    assert event.purged_volunteers == 4  # counts not overwritten


def test_the_campaign_chooses_how_long(make_campaign, make_event, make_group):
    campaign = make_campaign()
    campaign.retention_days = 30
    db.session.commit()
    event = make_event(campaign=campaign)
    make_group(event, 1)
    _ended(event, days_ago=8)
    assert retention.due_for_purge(utcnow()) == []
    assert retention.due_for_purge(utcnow() + timedelta(days=23)) == [event]


def test_dry_run_changes_nothing(runner, make_event, make_group):
    event = make_event()
    make_group(event, 2)
    _ended(event, days_ago=10)
    result = runner.invoke(args=["purge", "--dry-run"])
    assert f"1 events due: {event.ref}" in result.output
    assert db.session.scalar(select(func.count(Membership.id))) == 2
