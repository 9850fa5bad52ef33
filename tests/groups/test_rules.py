"""The group rules as pure functions: no app, no database, only sizes.

``choose_group`` and ``_best_merge`` read nothing of a group but its ``member_count`` and
``seat_count`` (equal here: everyone verified; see test_verification.py for the rest), so
plain stand-ins serve here; the services that call them are tested against the database
in test_service.py."""

from types import SimpleNamespace

import pytest

from campaign.groups.service import _best_merge, choose_group
from campaign.models.group_sizes import (
    GroupState,
    fits_in_one_group,
    group_state,
    people_needed,
    room_left,
    size_problems,
)


def groups(*sizes: int) -> list[SimpleNamespace]:
    """Stand-ins for groups, oldest first, named by their place in the list."""
    return [
        SimpleNamespace(name=f"g{i}", member_count=n, seat_count=n) for i, n in enumerate(sizes)
    ]


def named(group) -> str | None:
    return None if group is None else group.name


@pytest.mark.parametrize(
    ("members", "state"),
    [
        (0, GroupState.FORMING),
        (2, GroupState.FORMING),
        (3, GroupState.READY),
        (7, GroupState.READY),
        (8, GroupState.FULL),
        (9, GroupState.FULL),  # above the maximum (a lowered maximum) still reads full
    ],
)
def test_group_state_by_size_between_three_and_eight(members, state):
    assert group_state(members, 3, 8) is state


def test_a_group_whose_minimum_is_its_maximum_is_full_once_safe():
    assert group_state(4, 5, 5) is GroupState.FORMING
    assert group_state(5, 5, 5) is GroupState.FULL


def test_people_needed_and_room_never_go_below_zero():
    assert people_needed(1, 3) == 2
    assert people_needed(5, 3) == 0
    assert room_left(6, 8) == 2
    assert room_left(9, 8) == 0


def test_size_bounds_report_each_problem_on_its_field():
    fields = {"min_field": "lo", "max_field": "hi"}
    assert size_problems(3, 8, **fields) == []
    assert size_problems(2, 8, **fields) == [("lo", "min_group_too_small")]
    assert size_problems(3, 51, **fields) == [("hi", "max_group_too_large")]
    assert size_problems(6, 5, **fields) == [("hi", "max_below_min")]
    assert size_problems(2, 1, **fields) == [
        ("lo", "min_group_too_small"),
        ("hi", "max_below_min"),
    ]


# --- choose_group: "join any group" -------------------------------------------------------


def test_the_forming_group_closest_to_its_minimum_comes_first():
    # Sizes 1 and 2 are forming (minimum 3): the one with 2 needs only one more.
    assert named(choose_group(groups(1, 2, 5), 3, 8)) == "g1"


def test_of_equally_close_forming_groups_the_oldest_comes_first():
    assert named(choose_group(groups(2, 1, 2), 3, 8)) == "g0"


def test_with_none_forming_the_smallest_ready_group_takes_the_newcomer():
    assert named(choose_group(groups(6, 4, 8, 4), 3, 8)) == "g1"


def test_empty_and_full_groups_are_never_chosen():
    assert choose_group(groups(0, 8, 8), 3, 8) is None
    assert choose_group([], 3, 8) is None


# --- _best_merge: consolidating forming groups at the deadline -----------------------------


def test_the_largest_forming_group_takes_the_largest_that_fits():
    # Sorted largest first, as consolidate() hands them over.
    forming = groups(4, 3, 1)
    source, target = _best_merge(forming, 7)
    assert (source.name, target.name) == ("g1", "g0")  # 4 + 3 = 7 fits exactly


def test_a_smaller_group_is_taken_when_the_larger_would_overfill():
    source, target = _best_merge(groups(4, 4, 2), 7)
    assert (source.name, target.name) == ("g2", "g0")


def test_no_merge_when_no_two_groups_fit_together():
    assert _best_merge(groups(4, 4), 7) is None
    assert _best_merge(groups(2), 7) is None
    assert fits_in_one_group(7, 7) and not fits_in_one_group(8, 7)
