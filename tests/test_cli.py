from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from campaign.accounts.service import authenticate
from campaign.dev.demo import ADMIN_EMAIL, ORGANISER_EMAIL, SLUG
from campaign.extensions import db
from campaign.models import (
    Campaign,
    Event,
    EventStatus,
    Group,
    GroupState,
    Organiser,
    VenueType,
    utcnow,
)

PASSWORD = "a long enough password"


def _organiser(email):
    db.session.rollback()
    return db.session.scalar(select(Organiser).where(Organiser.email == email))


def test_create_organiser_reads_the_password_from_stdin(runner):
    result = runner.invoke(
        args=["create-organiser", "--email", "Ali@Example.org", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    organiser = _organiser("ali@example.org")
    assert organiser is not None and not organiser.is_admin
    assert PASSWORD not in organiser.password_hash
    assert authenticate("ali@example.org", PASSWORD).id == organiser.id


def test_create_organiser_from_the_prompt_as_admin(runner):
    result = runner.invoke(
        args=["create-organiser", "--email", "root@example.org", "--admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert _organiser("root@example.org").is_admin


def test_create_organiser_refuses_a_short_password(runner):
    result = runner.invoke(
        args=["create-organiser", "--email", "a@example.org", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert _organiser("a@example.org") is None


def test_create_organiser_refuses_a_taken_email(runner, make_organiser):
    make_organiser(email="taken@example.org")
    result = runner.invoke(
        args=["create-organiser", "--email", "TAKEN@example.org", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code != 0
    assert "exists already" in result.output


def test_seed_demo_loads_the_campaign_once(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert ADMIN_EMAIL in first.output and ORGANISER_EMAIL in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "password" not in second.output
    db.session.rollback()
    assert db.session.scalar(select(func.count(Campaign.id))) == 1
    assert db.session.scalar(select(func.count(Organiser.id))) == 2
    campaign = db.session.scalar(select(Campaign))  # its words in all three languages
    assert set(campaign.translations) == {"fa", "ur"}
    assert all(texts["pledge"] and texts["description"] for texts in campaign.translations.values())


def test_seed_demo_prints_working_passwords(runner):
    output = runner.invoke(args=["seed-demo"]).output
    for email in (ADMIN_EMAIL, ORGANISER_EMAIL):
        line = next(line for line in output.splitlines() if email in line)
        password = line.split("password:")[1].split()[0]
        db.session.rollback()
        assert authenticate(email, password).email == email


def test_seed_demo_events_cover_the_world_and_every_venue_type(runner):
    runner.invoke(args=["seed-demo"])
    db.session.rollback()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == SLUG))
    assert "never go alone" in campaign.pledge.lower()
    assert "spitting" in campaign.pledge
    events = db.session.scalars(select(Event).where(Event.campaign_id == campaign.id)).all()
    assert len(events) >= 12
    assert all(e.status is EventStatus.PUBLISHED for e in events)
    assert all(e.starts_at > utcnow() for e in events)
    assert len({e.city for e in events}) >= 8
    assert len({e.country for e in events}) >= 5
    assert {e.venue_type for e in events} == set(VenueType)
    assert all(ZoneInfo(e.timezone) for e in events)
    assert len({e.timezone for e in events}) >= 5


def test_seed_demo_adds_groups_in_every_state(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    db.session.rollback()
    states = {g.state for g in db.session.scalars(select(Group)) if g.member_count}
    assert states == set(GroupState)


def test_seed_demo_if_empty_leaves_a_database_with_campaigns_alone(runner, make_campaign):
    make_campaign()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    db.session.rollback()
    assert db.session.scalar(select(Campaign).where(Campaign.slug == SLUG)) is None
