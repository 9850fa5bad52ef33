import itertools

import pytest

from campaign.extensions import db
from campaign.groups import service
from campaign.groups.service import Volunteer

_numbers = itertools.count(100)


def volunteer(**overrides) -> Volunteer:
    """A volunteer with a fresh (fictional, valid) US phone number."""
    values = {
        "display_name": f"Volunteer {next(_numbers)}",
        "contact": f"+1201555{next(_numbers):04d}",
        "pledge_accepted": True,
        "share_contact": False,
    }
    values.update(overrides)
    return Volunteer(**values)


@pytest.fixture
def fill_group(app):
    """Add ``n`` volunteers to a group (committed); returns the memberships with tokens."""

    def fill(group, n):
        joined = []
        for _ in range(n):
            joined.append(service.join_group(group, volunteer()))
            db.session.commit()
        return joined

    return fill


@pytest.fixture
def make_group(app, fill_group):
    """A group of ``size`` members for ``event`` (the first is its leader)."""

    def make(event, size=1):
        first = service.start_group(event, volunteer())
        db.session.commit()
        group = first.membership.group
        fill_group(group, size - 1)
        db.session.refresh(group)
        return group

    return make
