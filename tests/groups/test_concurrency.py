"""Many volunteers at once, through real transactions on separate connections."""

from sqlalchemy import func, select

from campaign.extensions import db
from campaign.groups import service
from campaign.groups.service import SignUpError
from campaign.models import Event, Group, Membership
from tests.factories import volunteer
from tests.helpers import race

THREADS = 16


def _race(app, work) -> list[str]:
    """``work(i)`` in THREADS threads at once: "joined", or the code it was refused with
    (its transaction rolled back, as the view does)."""
    return race(
        app, work, threads=THREADS, refusals=(SignUpError,), done="joined", commit_refused=False
    )


def test_one_group_is_never_overfilled(app, make_event, make_group):
    event = make_event(min_group_size=3, max_group_size=6)
    group_id = make_group(event, 1).id

    def join(i):
        group = db.session.get(Group, group_id)  # read first, as a view does
        service.join_group(group, volunteer())

    outcomes = _race(app, join)
    assert sorted(set(outcomes)) == ["group_full", "joined"], outcomes
    assert outcomes.count("joined") == 5
    count = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.group_id == group_id)
    )
    assert count == 6


def test_join_any_never_overfills_and_opens_groups_as_needed(app, make_event):
    event = make_event(min_group_size=3, max_group_size=4)
    event_id = event.id

    def join(i):
        service.join_any_group(db.session.get(Event, event_id), volunteer())

    outcomes = _race(app, join)
    assert outcomes == ["joined"] * THREADS
    sizes = db.session.execute(
        select(Membership.group_id, func.count(Membership.id))
        .where(Membership.event_id == event_id)
        .group_by(Membership.group_id)
    ).all()
    assert sum(n for _, n in sizes) == THREADS
    assert all(n <= 4 for _, n in sizes)
    assert len(sizes) == THREADS // 4  # filled one by one, never a needless new group


def test_one_contact_joins_once_however_many_times_it_is_sent(app, make_event, make_group):
    event = make_event(country="US")
    group_ids = [make_group(event, 1).id for _ in range(4)]
    event_id = event.id
    formats = ["+12015550177", "(201) 555-0177", "201-555-0177", "+1 201 555 0177"]

    def join(i):
        contact = formats[i % len(formats)]
        if i % 2:
            service.join_group(db.session.get(Group, group_ids[i % 4]), volunteer(contact=contact))
        else:
            service.join_any_group(db.session.get(Event, event_id), volunteer(contact=contact))

    outcomes = _race(app, join)
    assert outcomes.count("joined") == 1, outcomes
    assert set(outcomes) == {"joined", "already_joined"}, outcomes
