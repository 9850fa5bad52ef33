"""Every SignUpError code, the auto-match order, and the rules around the minimum."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from campaign.access import NotAllowed
from campaign.extensions import db
from campaign.groups import service
from campaign.groups.service import SignUpError
from campaign.models import (
    EventStatus,
    GroupActivity,
    GroupActivityKind,
    GroupState,
    Membership,
    utcnow,
)
from tests.factories import volunteer


def _code(call, *args, **kwargs) -> str:
    with pytest.raises(SignUpError) as error:
        call(*args, **kwargs)
    db.session.rollback()
    return error.value.code


def test_first_member_opens_a_forming_group_and_leads_it(make_event):
    event = make_event(min_group_size=3, max_group_size=5)
    joined = service.join_any_group(event, volunteer(display_name="  Zahra   H. "))
    db.session.commit()
    group = joined.membership.group
    assert joined.membership.is_leader
    assert joined.membership.display_name == "Zahra H."
    assert group.state is GroupState.FORMING and group.needed == 2
    assert len(joined.token) >= 32  # 192 bits, URL-safe
    assert joined.membership.token_hash == service.hash_token(joined.token)
    assert service.membership_by_token(joined.token).id == joined.membership.id


def test_group_states_follow_the_event_sizes(make_event, make_group, fill_group):
    event = make_event(min_group_size=3, max_group_size=4)
    group = make_group(event, 2)
    assert group.state is GroupState.FORMING
    fill_group(group, 1)
    db.session.refresh(group)
    assert group.state is GroupState.READY and group.needed == 0 and group.room == 1
    fill_group(group, 1)
    db.session.refresh(group)
    assert group.state is GroupState.FULL


def test_join_any_fills_the_forming_group_closest_to_its_minimum(make_event, make_group):
    event = make_event(min_group_size=4, max_group_size=6)
    one = make_group(event, 1)
    three = make_group(event, 3)
    two = make_group(event, 2)
    ready = make_group(event, 4)
    joined = service.join_any_group(event, volunteer())
    assert joined.membership.group_id == three.id
    db.session.commit()
    # Now `three` is ready; next: the forming group with 2, then the one with 1.
    assert service.join_any_group(event, volunteer()).membership.group_id == two.id
    db.session.commit()
    assert service.join_any_group(event, volunteer()).membership.group_id == two.id
    db.session.commit()
    assert service.join_any_group(event, volunteer()).membership.group_id == one.id
    assert ready.id != one.id


def test_join_any_then_takes_the_smallest_ready_group_then_opens_a_new_one(make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=4)
    big = make_group(event, 4)  # full
    small = make_group(event, 3)  # ready, room for one
    assert service.join_any_group(event, volunteer()).membership.group_id == small.id
    db.session.commit()
    joined = service.join_any_group(event, volunteer())
    db.session.commit()
    assert joined.membership.group_id not in (big.id, small.id)
    assert joined.membership.is_leader


def test_start_group_always_opens_a_new_group(make_event, make_group):
    event = make_event()
    forming = make_group(event, 1)
    joined = service.start_group(event, volunteer())
    assert joined.membership.group_id != forming.id
    assert joined.membership.is_leader


def test_group_full(make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=3)
    group = make_group(event, 3)
    assert _code(service.join_group, group, volunteer()) == "group_full"


@pytest.mark.parametrize(
    ("typed_again"), ["(201) 555-0199", "+1 201 555 0199", "1-201-555-0199", "2015550199"]
)
def test_the_same_phone_in_another_format_cannot_join_twice(make_event, make_group, typed_again):
    event = make_event(country="US")
    first = service.join_any_group(event, volunteer(contact="+12015550199"))
    db.session.commit()
    other = make_group(event, 1)
    with pytest.raises(SignUpError) as error:
        service.join_group(other, volunteer(contact=typed_again))
    assert error.value.code == "already_joined"
    assert error.value.membership.id == first.membership.id


def test_the_same_email_in_another_case_cannot_join_twice(make_event):
    event = make_event()
    service.join_any_group(event, volunteer(contact="Nadia@Example.org"))
    db.session.commit()
    assert _code(service.start_group, event, volunteer(contact=" nadia@example.ORG")) == (
        "already_joined"
    )


def test_a_join_the_unique_constraint_refuses_leaves_the_transaction_usable(
    make_event, monkeypatch
):
    """Only reachable if the lock was bypassed; the refusal must still let the request
    commit what it did before (not a 500)."""
    event = make_event()
    service.join_any_group(event, volunteer(contact="+12015550111"))
    db.session.commit()
    monkeypatch.setattr(service, "_existing_membership", lambda event, digest: None)
    with pytest.raises(SignUpError) as error:
        service.start_group(event, volunteer(contact="+12015550111"))
    assert error.value.code == "already_joined"
    db.session.commit()
    assert db.session.scalar(select(func.count(Membership.id))) == 1


def test_one_contact_may_join_groups_of_different_events(make_event):
    first, second = make_event(), make_event()
    service.join_any_group(first, volunteer(contact="+12015550111"))
    service.join_any_group(second, volunteer(contact="+12015550111"))
    db.session.commit()
    assert db.session.scalar(select(func.count(Membership.id))) == 2


def test_phone_numbers_are_read_in_the_event_country(make_event):
    event = make_event(country="DE")
    joined = service.join_any_group(event, volunteer(contact="030 1234567"))
    assert joined.membership.contact == "+49301234567"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"display_name": "   "}, "name_required"),
        ({"display_name": "x" * 61}, "name_too_long"),
        ({"pledge_accepted": False}, "pledge_required"),
        ({"contact": ""}, "contact_required"),
        ({"contact": "12"}, "bad_phone"),
        ({"contact": "call me maybe"}, "bad_phone"),
        ({"contact": "not@an@email"}, "bad_email"),
    ],
)
def test_bad_volunteer_details(make_event, overrides, code):
    event = make_event()
    assert _code(service.join_any_group, event, volunteer(**overrides)) == code
    assert db.session.scalar(select(func.count(Membership.id))) == 0


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.PENDING, EventStatus.CANCELLED])
def test_only_published_events_take_sign_ups(make_event, status):
    event = make_event(status=status)
    assert _code(service.join_any_group, event, volunteer()) == "event_not_open"
    assert _code(service.start_group, event, volunteer()) == "event_not_open"


def test_no_joining_after_the_deadline(make_event, make_group):
    event = make_event()
    group = make_group(event, 1)
    event.signup_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert _code(service.join_any_group, event, volunteer()) == "deadline_passed"
    assert _code(service.join_group, group, volunteer()) == "deadline_passed"


def test_no_joining_once_the_event_started_without_a_deadline(make_event):
    event = make_event()
    event.starts_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert _code(service.join_any_group, event, volunteer()) == "deadline_passed"


def test_no_joining_an_event_that_is_over(make_event):
    event = make_event()
    event.starts_at = utcnow() - timedelta(hours=3)
    event.ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert _code(service.join_any_group, event, volunteer()) == "event_over"


def test_join_codes_are_forgiving_as_typed(make_event, make_group):
    group = make_group(make_event())
    code = group.join_code
    for typed in (code.lower(), f"{code[:4]}-{code[4:]}", f" {code[:4]} {code[4:]} "):
        assert service.group_by_code(typed).id == group.id
    assert service.group_by_code("") is None
    assert service.group_by_code("ZZZZ-ZZZZ-ZZZZ") is None
    assert not set(code) & set("01OI")


def test_leaving_below_the_minimum_needs_confirmation_and_tells_the_group(make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=8)
    group = make_group(event, 3)
    leaver = group.members[2]
    assert _code(service.leave_group, leaver) == "confirm_leave"
    assert db.session.get(Membership, leaver.id) is not None
    service.leave_group(db.session.get(Membership, leaver.id), confirmed=True)
    db.session.commit()
    db.session.refresh(group)
    assert group.member_count == 2 and group.state is GroupState.FORMING
    kinds = db.session.scalars(
        select(GroupActivity.kind).where(GroupActivity.group_id == group.id)
    ).all()
    assert GroupActivityKind.LEFT in kinds


def test_leaving_above_the_minimum_needs_no_confirmation(make_event, make_group):
    group = make_group(make_event(min_group_size=3), 4)
    service.leave_group(group.members[3])
    db.session.commit()
    db.session.refresh(group)
    assert group.member_count == 3


def test_leadership_passes_on_when_the_leader_leaves(make_event, make_group):
    group = make_group(make_event(), 4)
    leader, second = group.members[0], group.members[1]
    assert leader.is_leader and not second.is_leader
    service.leave_group(leader)
    db.session.commit()
    db.session.refresh(second)
    assert second.is_leader


def test_leader_removes_a_member(make_event, make_group):
    group = make_group(make_event(), 4)
    leader, member = group.members[0], group.members[3]
    service.remove_member(leader, member)
    db.session.commit()
    db.session.refresh(group)
    assert group.member_count == 3


def test_leader_rules(make_event, make_group):
    event = make_event()
    group, other = make_group(event, 3), make_group(event, 3)
    leader, member = group.members[0], group.members[1]
    assert _code(service.remove_member, member, leader) == "not_leader"
    assert _code(service.remove_member, group.members[0], other.members[1]) == "not_in_group"
    assert _code(service.remove_member, group.members[0], group.members[0]) == (
        "cannot_remove_self"
    )
    assert _code(service.rename_group, group.members[1], "Ours") == "not_leader"
    assert _code(service.rename_group, group.members[0], "x" * 61) == "group_name_too_long"
    assert _code(service.set_meeting, group.members[1], "Gate", None) == "not_leader"


def test_leader_sets_meeting_point_and_time(make_event, make_group):
    event = make_event()
    group = make_group(event, 3)
    leader = group.members[0]
    service.rename_group(leader, "  Blue   scarves ")
    service.set_meeting(
        leader, "North gate, by the statue", event.starts_at - timedelta(minutes=30)
    )
    db.session.commit()
    assert group.name == "Blue scarves"
    assert group.meeting_at == event.starts_at - timedelta(minutes=30)
    leader = group.members[0]
    assert _code(service.set_meeting, leader, "x" * 201, None) == "meeting_point_too_long"
    leader = group.members[0]
    assert _code(service.set_meeting, leader, "Gate", event.ends_at) == "meeting_after_end"
    leader = group.members[0]
    assert _code(service.set_meeting, leader, "Gate", event.starts_at - timedelta(days=2)) == (
        "meeting_too_early"
    )


def test_check_in_on_the_day_then_home_safe(make_event, make_group):
    event = make_event()
    group = make_group(event, 3)
    member = group.members[0]
    assert _code(service.check_in, member) == "check_in_closed"  # ten days ahead
    member = group.members[0]
    assert _code(service.check_out_home_safe, member) == "not_checked_in"
    event.starts_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    member = group.members[0]
    service.check_in(member)
    service.check_out_home_safe(member)
    db.session.commit()
    assert member.checked_in_at <= member.home_safe_at


def test_merge_two_forming_groups(make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=4)
    a, b = make_group(event, 2), make_group(event, 2)
    admin = event.campaign.admins[0]
    merged = service.merge_groups(a, b, admin)
    db.session.commit()
    assert merged.id == b.id and merged.member_count == 4
    assert merged.state is GroupState.FULL
    assert sum(m.is_leader for m in merged.members) == 1
    assert service.group_by_code(a.join_code).id == b.id  # old codes lead to the new group
    assert _code(service.join_group, db.session.get(type(a), a.id), volunteer()) == "group_merged"


def test_merge_rules(make_event, make_group, make_organiser):
    event = make_event(min_group_size=3, max_group_size=4)
    owner = event.organiser
    a, b, c = make_group(event, 2), make_group(event, 2), make_group(event, 1)
    ready = make_group(event, 3)
    elsewhere = make_group(make_event(campaign=event.campaign), 1)
    with pytest.raises(NotAllowed):
        service.merge_groups(a, b, make_organiser())
    db.session.rollback()
    assert _code(service.merge_groups, a, a, owner) == "merge_same_group"
    assert _code(service.merge_groups, a, ready, owner) == "merge_not_forming"
    assert _code(service.merge_groups, c, elsewhere, owner) == "merge_other_event"
    service.merge_groups(a, c, owner)  # 3: ready
    db.session.commit()
    assert _code(service.merge_groups, b, a, owner) == "group_merged"


def test_merge_never_goes_above_the_maximum(make_event, make_group):
    event = make_event(min_group_size=4, max_group_size=5)
    a, b = make_group(event, 3), make_group(event, 3)
    assert _code(service.merge_groups, a, b, event.organiser) == "merge_too_large"


def test_consolidate_merges_what_fits_and_reports_the_rest(make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=4)
    twos = [make_group(event, 2) for _ in range(2)]
    one = make_group(event, 1)
    ready = make_group(event, 3)
    result = service.consolidate(event)
    db.session.commit()
    assert len(result.merges) == 1
    assert {result.merges[0][0].id, result.merges[0][1].id} == {twos[0].id, twos[1].id}
    assert [g.id for g in result.still_forming] == [one.id]
    db.session.refresh(ready)
    assert ready.member_count == 3
