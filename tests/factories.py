"""Test data: organisers, campaigns, events, groups and slogan banks, made through the
services as the app makes them. A pytest plugin (``pytest_plugins`` in tests/conftest.py):
its fixtures are available to every test; the plain functions are imported from here.

The ``make_*`` fixtures need the ``app`` fixture (an app context on a fresh database);
``Factory`` itself needs only an app context, so a module-scoped world can use it too.
Numbers never repeat within a process, so data made by a restored world and data made by
the test never share an email or a slug.
"""

import itertools
from datetime import timedelta

import pytest

from campaign.accounts.service import create_organiser
from campaign.campaigns.service import CampaignDetails, create_campaign
from campaign.events.service import (
    EventDetails,
    cancel_event,
    create_event,
    publish_event,
    submit_for_review,
)
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.groups.service import Volunteer
from campaign.models import EventStatus, SloganKind, VenueType, utcnow
from campaign.slogans.service import SloganDetails, add_slogan

PASSWORD = "correct horse battery staple"

_numbers = itertools.count(1)
_phones = itertools.count(100)


def event_details(**overrides) -> EventDetails:
    """An event ten days ahead at noon UTC, groups of 3 to 8; ``overrides`` replace fields."""
    start = (utcnow() + timedelta(days=10)).replace(hour=12, minute=0, second=0, microsecond=0)
    local_start = start.replace(tzinfo=None)
    values = {
        "title": "I AM HAZARA at the town hall",
        "venue_type": VenueType.GOVERNMENT_ASSEMBLY,
        "venue_name": "Town Hall",
        "address": "1 Main Street",
        "city": "London",
        "country": "GB",
        "timezone": "UTC",
        "local_start": local_start,
        "local_end": local_start + timedelta(hours=2),
        "min_group_size": 3,
        "max_group_size": 8,
        "description": "Stand with us.",
    }
    values.update(overrides)
    return EventDetails(**values)


def volunteer(**overrides) -> Volunteer:
    """A volunteer with a fresh (fictional, valid) US phone number."""
    n = next(_phones)
    values = {
        "display_name": f"Volunteer {n}",
        "contact": f"+1201555{100 + n % 9900:04d}",
        "pledge_accepted": True,
        "share_contact": False,
    }
    values.update(overrides)
    return Volunteer(**values)


#: A slogan bank in English and Persian: (text, language, kind, theme).
SLOGANS = [
    ("I AM HAZARA", "en", "identity", "i-am"),
    ("WHY DO YOU WANT TO KILL ME?", "en", "question", "kill-me"),
    ("WHY DO YOU WANT TO KILL US?", "en", "question", "kill-us"),
    ("ANSWER PLEASE", "en", "call", "answer"),
    ("من هزاره هستم", "fa", "identity", "i-am"),
    ("چرا می‌خواهید مرا بکشید؟", "fa", "question", "kill-me"),
    ("لطفاً جواب دهید", "fa", "call", "answer"),
]


class Factory:
    """Makes and commits test data in the current app context."""

    def organiser(self, **overrides):
        n = next(_numbers)
        values = {
            "email": f"organiser{n}@example.org",
            "password": PASSWORD,
            "display_name": f"Organiser {n}",
            "is_admin": False,
        }
        values.update(overrides)
        organiser = create_organiser(
            values["email"],
            values["password"],
            values["display_name"],
            is_admin=values["is_admin"],
        )
        db.session.commit()
        return organiser

    def campaign(self, admin=None, **overrides):
        n = next(_numbers)
        admin = admin or self.organiser(is_admin=True)
        details = CampaignDetails(
            name=f"Campaign {n}",
            slug=f"campaign-{n}",
            pledge="Stay calm. Never go alone.",
            # Off unless a test is about verification (tests/groups/test_verification.py and
            # the messaging tests turn it on): most tests are about what verified members do.
            verify_contacts=False,
        )
        for name, value in overrides.items():
            setattr(details, name, value)
        campaign = create_campaign(admin, details)
        db.session.commit()
        return campaign

    def event(self, campaign=None, organiser=None, status=EventStatus.PUBLISHED, **overrides):
        campaign = campaign or self.campaign()
        organiser = organiser or self.organiser()
        event = create_event(campaign, organiser, event_details(**overrides))
        admin = campaign.admins[0]
        if status is not EventStatus.DRAFT:
            submit_for_review(event, organiser)
        if status in (EventStatus.PUBLISHED, EventStatus.CANCELLED):
            publish_event(event, admin)
        if status is EventStatus.CANCELLED:
            cancel_event(event, organiser)
        db.session.commit()
        return event

    def fill(self, group, n):
        """Add ``n`` volunteers to a group (committed); returns the memberships with tokens."""
        joined = []
        for _ in range(n):
            joined.append(groups.join_group(group, volunteer()))
            db.session.commit()
        return joined

    def group(self, event, size=1):
        """A group of ``size`` members for ``event`` (the first is its leader)."""
        first = groups.start_group(event, volunteer())
        db.session.commit()
        group = first.membership.group
        self.fill(group, size - 1)
        db.session.refresh(group)
        return group

    def slogan_bank(self, campaign):
        """Give a campaign the SLOGANS (its languages become en and fa)."""
        campaign.languages = "en fa"
        admin = campaign.admins[0]
        for text, language, kind, theme in SLOGANS:
            add_slogan(campaign, admin, SloganDetails(text, language, SloganKind(kind), theme))
        db.session.commit()
        return campaign


@pytest.fixture
def factory(app):
    return Factory()


@pytest.fixture
def make_organiser(factory):
    return factory.organiser


@pytest.fixture
def make_campaign(factory):
    return factory.campaign


@pytest.fixture
def make_event(factory):
    return factory.event


@pytest.fixture
def verifying_event(factory):
    """An event of a campaign that verifies contacts (``make_event``'s campaigns do not)."""

    def make(**overrides):
        return factory.event(campaign=factory.campaign(verify_contacts=True), **overrides)

    return make


@pytest.fixture
def fill_group(factory):
    return factory.fill


@pytest.fixture
def make_group(factory):
    return factory.group


@pytest.fixture
def with_bank(factory):
    return factory.slogan_bank
