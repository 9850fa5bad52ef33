"""Time-based messages: reminders, the sign-up deadline with a group still forming, the
"home safe?" prompt and the leader's note. Time is moved with ``plan_due(now)``, never
slept; each kind fires once in its window, to verified members who did not stop."""

from datetime import timedelta

import pytest

from campaign.events.service import cancel_event
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.messaging.schedule import plan_due
from campaign.models import Channel, utcnow
from tests.factories import volunteer
from tests.helpers import count_queries, race
from tests.messaging.recorded import recipients, recorded, text_of

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def _ids(group) -> set[int]:
    return {m.id for m in group.members}


def test_reminders_fire_once_each_in_their_window(make_event, make_group):
    event = make_event()
    group = make_group(event, 3)
    start = event.starts_at

    assert plan_due(start - 24 * HOUR - MINUTE) == 0
    assert plan_due(start - 24 * HOUR) == 3
    assert recipients("reminder_24h") == _ids(group)
    assert plan_due(start - 23 * HOUR) == 0  # planned again: nothing new
    assert plan_due(start - 2 * HOUR - MINUTE) == 0
    assert recorded("reminder_2h") == []

    assert plan_due(start - 2 * HOUR) == 3
    assert recipients("reminder_2h") == _ids(group)
    assert plan_due(start - MINUTE) == 0
    assert plan_due(start) == 0
    assert len(recorded("reminder_24h")) == 3
    assert len(recorded("reminder_2h")) == 3


def test_a_missed_24h_window_sends_only_the_2h_reminder(make_event, make_group):
    event = make_event()
    make_group(event, 3)
    assert plan_due(event.starts_at - HOUR) == 3
    assert recorded("reminder_24h") == []
    assert len(recorded("reminder_2h")) == 3


def test_an_event_moved_to_another_time_reminds_again(make_event, make_group):
    event = make_event()
    make_group(event, 3)
    plan_due(event.starts_at - 20 * HOUR)
    assert len(recorded("reminder_24h")) == 3
    event.starts_at += 3 * HOUR
    event.ends_at += 3 * HOUR
    db.session.commit()
    assert plan_due(event.starts_at - 20 * HOUR) == 3
    assert len(recorded("reminder_24h")) == 6


def test_unverified_and_stopped_members_get_nothing(make_event, make_group):
    event = make_event()
    group = make_group(event, 4)
    first, unverified, stopped, last = group.members
    unverified.verified_at = None
    stopped.messages_stopped_at = utcnow()
    db.session.commit()
    plan_due(event.starts_at - 20 * HOUR)
    assert recipients("reminder_24h") == {first.id, last.id}


def test_nothing_for_cancelled_purged_or_draft_events_or_merged_groups(make_event, make_group):
    cancelled = make_event()
    make_group(cancelled, 3)
    cancel_event(cancelled, cancelled.organiser)
    purged = make_event()
    make_group(purged, 3)
    purged.purged_at = utcnow()
    draft = make_event()
    make_group(draft, 3)
    draft.status = type(draft.status).DRAFT
    live = make_event()
    merged, kept = make_group(live, 2), make_group(live, 1)
    merged.merged_into_id = kept.id
    db.session.commit()

    plan_due(live.starts_at - 20 * HOUR)
    assert recipients("reminder_24h") == _ids(kept)
    plan_due(live.ends_at + 2 * HOUR)
    assert recipients("home_safe_prompt") == _ids(kept)


def test_deadline_passed_with_the_group_still_forming(make_event, make_group):
    start = (utcnow() + timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    deadline = start - timedelta(days=2)
    event = make_event(local_signup_deadline=deadline.replace(tzinfo=None))
    forming = make_group(event, 2)
    make_group(event, 3)  # ready: nothing to say

    assert plan_due(deadline - MINUTE) == 0
    assert plan_due(deadline) == 2
    assert recipients("deadline_forming") == _ids(forming)
    assert plan_due(deadline + HOUR) == 0
    message = recorded("deadline_forming")[0]
    assert "not safe" in text_of(message).text


def test_deadline_without_a_deadline_is_the_start_and_says_nothing(make_event, make_group):
    event = make_event()
    make_group(event, 2)
    for now in (event.starts_at - MINUTE, event.starts_at, event.starts_at + HOUR):
        plan_due(now)
    assert recorded("deadline_forming") == []


def _home_safe(member) -> None:
    member.checked_in_at = member.home_safe_at = utcnow()


def _group_with_email_leader(event, factory, size=3):
    leader = groups.start_group(event, volunteer(contact="leader@example.org")).membership
    db.session.commit()
    factory.fill(leader.group, size - 1)
    db.session.refresh(leader.group)
    return leader.group


def test_home_safe_prompt_then_the_leader_is_told_who_is_silent(make_event, factory):
    event = make_event()
    group = _group_with_email_leader(event, factory, 4)
    leader, safe, silent, quiet = group.members
    _home_safe(safe)
    db.session.commit()
    end = event.ends_at

    assert plan_due(end + 2 * HOUR - MINUTE) == 0
    assert plan_due(end + 2 * HOUR) == 3
    assert recipients("home_safe_prompt") == {leader.id, silent.id, quiet.id}
    assert plan_due(end + 3 * HOUR - MINUTE) == 0

    quiet.home_safe_at = utcnow()
    db.session.commit()
    assert plan_due(end + 3 * HOUR) == 1
    (note,) = recorded("home_safe_leader")
    assert note.membership_id == leader.id
    assert note.channel is Channel.EMAIL
    text = text_of(note).text
    assert silent.display_name in text
    assert quiet.display_name not in text and safe.display_name not in text
    assert plan_due(end + 4 * HOUR) == 0
    assert len(recorded("home_safe_prompt")) == 3


def test_the_leader_waits_an_hour_after_a_late_prompt(make_event, make_group):
    event = make_event()
    group = make_group(event, 3)
    end = event.ends_at
    plan_due(end + 2 * HOUR + 50 * MINUTE)  # the planner was down until now
    assert len(recorded("home_safe_prompt")) == 3
    assert plan_due(end + 3 * HOUR) == 0
    assert plan_due(end + 3 * HOUR + 50 * MINUTE) == 1
    (note,) = recorded("home_safe_leader")
    assert note.membership_id == group.members[0].id


def test_the_leaders_sms_counts_and_never_names(make_event, make_group):
    event = make_event()
    group = make_group(event, 3)
    group.meeting_point = "Behind the old fountain"
    db.session.commit()
    plan_due(event.ends_at + 2 * HOUR)
    plan_due(event.ends_at + 4 * HOUR)
    (note,) = recorded("home_safe_leader")
    assert note.channel is Channel.SMS
    text = text_of(note).text
    assert "2 people" in text
    for member in group.members:
        assert member.display_name not in text


def test_nothing_about_home_safe_after_twelve_hours(make_event, make_group):
    event = make_event()
    make_group(event, 3)
    assert plan_due(event.ends_at + 12 * HOUR) == 0
    assert recorded("home_safe_prompt") == []


def test_no_sms_carries_the_meeting_point_or_a_name(make_event, make_group):
    start = (utcnow() + timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    event = make_event(local_signup_deadline=(start - timedelta(days=1)).replace(tzinfo=None))
    ready, forming = make_group(event, 3), make_group(event, 2)
    for group in (ready, forming):
        group.meeting_point = "Behind the old fountain"
    db.session.commit()
    for now in (start - 23 * HOUR, start - HOUR, event.ends_at + 2 * HOUR):
        plan_due(now)
    plan_due(event.ends_at + 4 * HOUR)
    kinds = ("reminder_24h", "reminder_2h", "deadline_forming", "home_safe_prompt")
    names = [m.display_name for g in (ready, forming) for m in g.members]
    messages = [m for kind in (*kinds, "home_safe_leader") for m in recorded(kind)]
    assert {m.kind for m in messages} == {*kinds, "home_safe_leader"}
    for message in messages:
        assert message.channel is Channel.SMS
        text = text_of(message).text
        assert "fountain" not in text
        assert not [name for name in names if name in text]


@pytest.mark.parametrize(
    ("language", "time"), [("en", "12:00"), ("fa", "\u06f1\u06f2:\u06f0\u06f0")]
)
def test_written_in_the_members_language(make_event, make_group, language, time):
    event = make_event()
    group = make_group(event, 3)
    member = group.members[1]
    member.language = language
    db.session.commit()
    plan_due(event.starts_at - 20 * HOUR)
    (message,) = [m for m in recorded("reminder_24h") if m.membership_id == member.id]
    assert message.language == language
    # The start is written with the member's digits (Persian in "fa"); the sentence around it
    # is Persian once the lead has translated the new strings.
    assert time in text_of(message).text


def _planning_statements(now) -> int:
    with count_queries() as statements:
        plan_due(now)
    return len(statements)


def test_planning_again_costs_the_same_however_many_members(make_event, make_group):
    """Once everything due is recorded, a planning run is a few SQL statements per kind,
    not one per event or member (it runs every minute)."""
    event = make_event()
    make_group(event, 3)
    now = event.starts_at - 20 * HOUR
    plan_due(now)
    few = _planning_statements(now)
    for _ in range(3):
        make_group(make_event(), 4)
    plan_due(now)
    assert _planning_statements(now) == few
    assert few <= 12


def test_two_planners_at_once_record_each_message_once(app, make_event, make_group):
    event = make_event()
    make_group(event, 3)
    now = event.starts_at - 20 * HOUR
    outcomes = race(app, lambda _i: plan_due(now), threads=2, refusals=())
    assert outcomes == [None, None]
    assert len(recorded("reminder_24h")) == 3
