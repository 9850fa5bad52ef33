"""A meeting time is typed in the event's own zone and stored in UTC: the service converts
it (as it does for events), so the view only passes on what the leader typed."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from campaign.extensions import db
from campaign.groups import service
from campaign.localtime import NonexistentLocalTime, local_to_utc
from campaign.models import Group, utcnow
from tests.factories import volunteer
from tests.groups.test_service import _code
from tests.helpers import csrf_token

BERLIN = ZoneInfo("Europe/Berlin")


def _next_spring_forward() -> datetime:
    """The wall-clock hour Berlin's clocks skip next (a naive 02:30), at least two days on."""
    day = utcnow().date() + timedelta(days=2)
    while True:
        skipped = datetime.combine(day, time(2, 30))
        try:
            local_to_utc(skipped, BERLIN)
        except NonexistentLocalTime:
            return skipped
        day += timedelta(days=1)


def test_a_typed_time_is_read_in_the_events_zone(make_event, make_group):
    event = make_event(timezone="Europe/Berlin")
    leader = make_group(event, 1).members[0]
    typed = event.local_start.replace(tzinfo=None) - timedelta(minutes=45)
    service.set_meeting(leader, "By the fountain", typed)
    db.session.commit()
    group = db.session.get(Group, leader.group_id)
    assert group.meeting_at == event.starts_at - timedelta(minutes=45)
    assert group.meeting_at.utcoffset() == timedelta(0)


def test_a_time_the_clocks_skip_is_refused_with_a_code(make_event, make_group):
    skipped = _next_spring_forward()
    start = skipped.replace(hour=10, minute=0)
    event = make_event(
        timezone="Europe/Berlin", local_start=start, local_end=start + timedelta(hours=2)
    )
    leader = make_group(event, 1).members[0]
    assert _code(service.set_meeting, leader, "Gate", skipped) == "meeting_time_nonexistent"
    assert db.session.get(Group, leader.group_id).meeting_at is None


def test_the_leader_is_told_when_the_time_does_not_exist(app, client, make_event):
    skipped = _next_spring_forward()
    start = skipped.replace(hour=10, minute=0)
    event = make_event(
        timezone="Europe/Berlin", local_start=start, local_end=start + timedelta(hours=2)
    )
    token = service.start_group(event, volunteer()).token
    db.session.commit()
    response = client.post(
        f"/me/{token}/meeting",
        data={
            "csrf_token": csrf_token(client, f"/me/{token}"),
            "meeting_point": "Gate",
            "meeting_at": skipped.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/me/{token}").text
    assert "This time does not exist in the event's time zone." in page
    assert db.session.scalar(db.select(Group.meeting_at)) is None
