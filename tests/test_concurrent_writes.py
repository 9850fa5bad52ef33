"""Many people pressing the same buttons at once, through real gunicorn workers, on SQLite
and PostgreSQL: no answer is a 500 and every press is stored.

Each scenario gets one page per presser first (its CSRF token and cookie), then all press
together behind a barrier. The presses are counted as they overlap on the wire, so a run
that did not race fails instead of passing quietly.
"""

import http.client
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text

from bench.load import prepare_instance
from tests.databases import CHEAP_HASHES, postgresql_database
from tests.factories import PASSWORD, event_details
from tests.served import Server

# Real servers racing and measuring their overlap: one at a time, in one xdist worker.
pytestmark = pytest.mark.xdist_group("timing")

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GROUPS = 12
PER_GROUP = 4


@contextmanager
def _instance_env(instance):
    before = os.environ.get("CAMPAIGN_INSTANCE_PATH")
    os.environ["CAMPAIGN_INSTANCE_PATH"] = str(instance)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CAMPAIGN_INSTANCE_PATH")
        else:
            os.environ["CAMPAIGN_INSTANCE_PATH"] = before


def _seed(database_url: str, instance) -> dict:
    """An event starting in two hours (check-in open) with 12 groups of 4 volunteers."""
    from flask_migrate import upgrade

    from campaign import create_app
    from campaign.accounts.service import create_organiser
    from campaign.campaigns.service import CampaignDetails, create_campaign
    from campaign.events.service import create_event, publish_event, submit_for_review
    from campaign.extensions import db
    from campaign.groups.service import Volunteer, join_group, start_group
    from campaign.models import utcnow

    with _instance_env(instance):
        # Cheap password hashes: the server verifies the 12 wrong guesses below with the
        # stored hash's own parameters. Contact keys: the server's, in the instance folder.
        app = create_app(
            {
                "SECRET_KEY": "seed",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "PASSWORD_HASH_PARAMS": CHEAP_HASHES,
            }
        )
    with app.app_context():
        upgrade()
        admin = create_organiser("admin@example.org", PASSWORD, "Admin", is_admin=True)
        create_organiser("target@example.org", PASSWORD, "Target")
        campaign = create_campaign(
            admin,
            # These races are about what verified members write at once.
            CampaignDetails(name="Race", slug="race", pledge="Stay calm.", verify_contacts=False),
        )
        start = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
        local = start.replace(tzinfo=None)
        event = create_event(
            campaign,
            admin,
            event_details(local_start=local, local_end=local + timedelta(hours=2)),
        )
        submit_for_review(event, admin)
        publish_event(event, admin)
        groups = []
        for g in range(GROUPS):
            tokens = []
            joined = start_group(event, Volunteer(f"Lead {g}", f"lead{g}@example.org", True))
            tokens.append(joined.token)
            for m in range(PER_GROUP - 1):
                volunteer = Volunteer(f"M {g}.{m}", f"m{g}.{m}@example.org", True)
                tokens.append(join_group(joined.membership.group, volunteer).token)
            groups.append({"id": joined.membership.group_id, "tokens": tokens})
        db.session.commit()
        world = {"ref": event.ref, "event_id": event.id, "groups": groups}
        db.session.remove()
        db.engine.dispose()
    return world


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("race")
    if request.param == "sqlite":
        database = f"sqlite:///{tmp / 'race.sqlite3'}"
        holder = None
    else:
        holder = postgresql_database(request.getfixturevalue("postgresql_server"))
        database = holder.__enter__()
    instance = tmp / "instance"
    prepare_instance(instance)
    world = _seed(database, instance)
    server = Server(database, instance, workers=3).start()
    engine = create_engine(database)
    yield {**world, "server": server, "engine": engine}
    engine.dispose()
    server.stop()
    if holder is not None:
        holder.__exit__(None, None, None)


# --- pressing --------------------------------------------------------------------------


@dataclass
class Presses:
    statuses: list[int] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def server_errors(self) -> list[int]:
        return [s for s in self.statuses if s >= 500]


def _page(base: str, path: str, cookie: str = "") -> tuple[str, str]:
    """The page's CSRF token and the session cookie it set (or the one sent)."""
    host, port = base.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200, (path, response.status)
    for value in response.headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            cookie = value.split(";")[0]
    match = CSRF.search(body)
    assert match, f"no form on {path}"
    return match.group(1), cookie


def press_together(base: str, presses: list[tuple[str, str, dict]], cookie: str = "") -> Presses:
    """Each (page, action, fields): open the page, then all POST at the same moment."""
    prepared = [(action, *_page(base, page, cookie), fields) for page, action, fields in presses]
    outcome = Presses()
    barrier = threading.Barrier(len(prepared))
    host, port = base.split(":")

    def press(action: str, token: str, session_cookie: str, fields: dict) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.connect()
        body = urlencode({"csrf_token": token, **fields})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": session_cookie,
        }
        barrier.wait()
        with outcome.lock:
            outcome.in_flight += 1
            outcome.most_in_flight = max(outcome.most_in_flight, outcome.in_flight)
        try:
            connection.request("POST", action, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 599  # no answer at all counts as a failure too
        with outcome.lock:
            outcome.in_flight -= 1
            outcome.statuses.append(status)

    threads = [threading.Thread(target=press, args=args) for args in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcome.statuses) == len(prepared)
    assert outcome.most_in_flight >= 3, "the presses did not overlap: nothing raced"
    return outcome


def _scalar(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def _members(world, index: int) -> list[str]:
    """The index-th member token of every group (0 is the leader)."""
    return [group["tokens"][index] for group in world["groups"]]


def _member_ids(world, tokens) -> list[int]:
    from campaign.groups.service import hash_token

    digests = [hash_token(token) for token in tokens]
    with world["engine"].connect() as connection:
        rows = connection.execute(text("SELECT id, token_hash FROM membership")).all()
    return [row_id for row_id, digest in rows if digest in digests]


# --- the scenarios ---------------------------------------------------------------------


def test_check_in_then_home_safe_all_at_once(served):
    base, engine = served["server"].base, served["engine"]
    tokens = _members(served, 1) + _members(served, 2)  # 24 volunteers
    ids = _member_ids(served, tokens)
    checked = press_together(base, [(f"/me/{t}", f"/me/{t}/check-in", {}) for t in tokens])
    assert checked.server_errors() == []
    assert set(checked.statuses) == {302}
    assert _days(engine, ids) == [(True, False)] * 24

    home = press_together(base, [(f"/me/{t}", f"/me/{t}/home-safe", {}) for t in tokens])
    assert home.server_errors() == []
    assert _days(engine, ids) == [(True, True)] * 24


def _days(engine, ids: list[int]) -> list[tuple[bool, bool]]:
    """(checked in, home safe) of each of these members."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, checked_in_at, home_safe_at FROM membership ORDER BY id")
        ).all()
    return [(a is not None, b is not None) for row_id, a, b in rows if row_id in ids]


def test_leaders_set_meeting_points_and_names_at_once(served):
    base, engine = served["server"].base, served["engine"]
    leaders = _members(served, 0)
    before = {
        g["id"]: _scalar(engine, "SELECT revision FROM volunteer_group WHERE id = :i", i=g["id"])
        for g in served["groups"]
    }
    meeting = press_together(
        base,
        [
            (f"/me/{t}", f"/me/{t}/meeting", {"meeting_point": f"North gate {n}"})
            for n, t in enumerate(leaders)
        ],
    )
    assert meeting.server_errors() == []
    renamed = press_together(
        base,
        [(f"/me/{t}", f"/me/{t}/rename", {"name": f"Team {n}"}) for n, t in enumerate(leaders)],
    )
    assert renamed.server_errors() == []
    for n, group in enumerate(served["groups"]):
        row = _row(engine, group["id"])
        assert row.meeting_point == f"North gate {n}"
        assert row.name == f"Team {n}"
        assert row.revision == before[group["id"]] + 2


def test_one_leader_saving_many_times_loses_no_calendar_revision(served):
    """The group revision is the members' calendar SEQUENCE: every change must move it."""
    base, engine = served["server"].base, served["engine"]
    group = served["groups"][0]
    leader = group["tokens"][0]
    before = _row(engine, group["id"]).revision
    presses = press_together(
        base,
        [
            (f"/me/{leader}", f"/me/{leader}/meeting", {"meeting_point": f"Gate {n}"})
            for n in range(10)
        ],
    )
    assert presses.server_errors() == []
    assert _row(engine, group["id"]).revision == before + 10


def test_volunteers_suggest_slogans_at_once(served):
    base, engine = served["server"].base, served["engine"]
    tokens = _members(served, 3)
    before = _scalar(engine, "SELECT count(*) FROM slogan")
    presses = press_together(
        base,
        [
            (
                f"/me/{t}",
                f"/me/{t}/slogans/suggest",
                {"text": f"We stand together {n}", "language": "en", "kind": "call"},
            )
            for n, t in enumerate(tokens)
        ],
    )
    assert presses.server_errors() == []
    assert _scalar(engine, "SELECT count(*) FROM slogan") == before + len(tokens)


def test_board_views_are_each_logged_while_volunteers_leave(served):
    base, engine = served["server"].base, served["engine"]
    _, cookie = _page(base, "/auth/login")
    token, cookie = _page(base, "/auth/login", cookie)
    host, port = base.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(
        "POST",
        "/auth/login",
        body=urlencode({"csrf_token": token, "email": "admin@example.org", "password": PASSWORD}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 302
    for value in response.headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            cookie = value.split(";")[0]
    logged = _scalar(engine, "SELECT count(*) FROM contact_access")
    leavers = _members(served, 3)[:6]

    statuses: list[int] = []
    lock = threading.Lock()

    def view_board() -> None:
        c = http.client.HTTPConnection(host, int(port), timeout=60)
        c.request("GET", f"/organise/events/{served['ref']}/board", headers={"Cookie": cookie})
        status = c.getresponse().status
        with lock:
            statuses.append(status)

    viewers = [threading.Thread(target=view_board) for _ in range(8)]
    for viewer in viewers:
        viewer.start()
    left = press_together(base, [(f"/me/{t}/leave", f"/me/{t}/leave", {}) for t in leavers])
    for viewer in viewers:
        viewer.join(timeout=120)
    assert left.server_errors() == []
    assert statuses == [200] * 8
    assert _scalar(engine, "SELECT count(*) FROM contact_access") == logged + 8
    ids = _member_ids(served, leavers)
    assert ids == []  # every leaver is gone


def _row(engine, group_id: int):
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT name, meeting_point, revision FROM volunteer_group WHERE id = :i"),
            {"i": group_id},
        ).one()


def test_wrong_passwords_at_once_each_count_toward_the_wait(served):
    """12 guesses together: the first five count, then the account's unknown devices wait."""
    base, engine = served["server"].base, served["engine"]
    guesses = press_together(
        base,
        [
            ("/auth/login", "/auth/login", {"email": "target@example.org", "password": f"no{n}"})
            for n in range(12)
        ],
    )
    assert guesses.server_errors() == []
    with engine.connect() as connection:
        failed, until = connection.execute(
            text("SELECT failed_sign_ins, locked_until FROM organiser WHERE email = :e"),
            {"e": "target@example.org"},
        ).one()
    assert failed == 5 and until is not None
