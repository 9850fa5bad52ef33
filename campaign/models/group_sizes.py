"""Group sizes: the bounds every campaign and event keeps, and a group's state by its size.

Each rule once: models, services, views and templates ask here (or ask ``Group``, whose
properties ask here) instead of comparing sizes themselves."""

import enum

#: The smallest group anyone may stand in: nobody goes alone, nor in a pair.
ABSOLUTE_MIN_GROUP_SIZE = 3
#: Upper bound for any group size setting; a "small group" stays small.
ABSOLUTE_MAX_GROUP_SIZE = 50
#: A new campaign's largest group (and so its events' default).
DEFAULT_MAX_GROUP_SIZE = 8


class GroupState(enum.StrEnum):
    FORMING = "forming"  # below the minimum: not safe to go
    READY = "ready"  # minimum reached: safe to go, room for more
    FULL = "full"  # maximum reached


def group_state(
    member_count: int, min_size: int, max_size: int, seats: int | None = None
) -> GroupState:
    """``member_count``: verified members, the only ones who make a group safe. ``seats``:
    every place taken, members still confirming their contact included (default: the
    verified ones), which is what fills a group."""
    if member_count < min_size:
        return GroupState.FORMING
    if max(member_count, seats or 0) >= max_size:
        return GroupState.FULL
    return GroupState.READY


def people_needed(member_count: int, min_size: int) -> int:
    """How many more people before a group of ``member_count`` is safe to go."""
    return max(0, min_size - member_count)


def room_left(member_count: int, max_size: int) -> int:
    return max(0, max_size - member_count)


def fits_in_one_group(people: int, max_size: int) -> bool:
    """Whether ``people`` (two groups merged, say) may stand in one group."""
    return people <= max_size


def size_problems(min_size: int, max_size: int, *, min_field: str, max_field: str) -> list:
    """The (field, code) pairs for group size settings out of bounds; empty when they fit."""
    problems = []
    if min_size < ABSOLUTE_MIN_GROUP_SIZE:
        problems.append((min_field, "min_group_too_small"))
    if max_size > ABSOLUTE_MAX_GROUP_SIZE:
        problems.append((max_field, "max_group_too_large"))
    if max_size < min_size:
        problems.append((max_field, "max_below_min"))
    return problems
