"""CSRF on: a POST without or with a wrong token is refused on every form.

Every route that accepts POST (read from ``app.url_map``) has an entry in ``CASES`` saying
how to build a real request for it: a URL naming real objects, the person signed in, and
form data that would be accepted. Each request is then sent

* with no token,
* with a token that is not a token,
* with a well-formed token from another browser's session ("sent from elsewhere"),
* with a wrong token in the ``X-CSRFToken`` header,

and must be refused with 400 and the "form has expired" page, leaving every table exactly as
it was. Finally the same request with the right token is accepted (and, for most, changes
the database), which shows the refusals came from the token and nothing else.

A new POST route fails ``test_every_post_route_has_a_case`` until it gets an entry.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from campaign.accounts.service import enable_two_factor, new_totp_secret
from campaign.events import service as events
from campaign.extensions import csrf, db
from campaign.groups import service as groups
from campaign.models import (
    EventStatus,
    Message,
    MessageStatus,
    Organiser,
    SloganKind,
    SloganStatus,
)
from campaign.slogans.service import SloganDetails, add_slogan, review_slogan, suggest_slogan
from campaign.slogans.views import REVIEW_ACTIONS
from tests import helpers
from tests.factories import PASSWORD, event_details, volunteer
from tests.helpers import csrf_token, sign_in

REFUSED = "This form has expired or was sent from elsewhere"
NEW_PASSWORD = "violet tractor climbs the spoon"
RATE_LIMITS = ("SIGN_IN", "REGISTER", "JOIN", "JOIN_CODES", "SUGGEST")


@pytest.fixture(autouse=True)
def generous_rate_limits(app):
    """Many requests per test from one address: keep Flask-Limiter out of the way."""
    for name in RATE_LIMITS:
        app.config[f"RATELIMIT_{name}"] = "10000 per minute"


# --- the world the requests act on ---------------------------------------------------------


class World:
    """Real objects for URLs, made on first use so each case builds only what it needs."""

    def __init__(self, make_organiser, make_campaign, make_event):
        self._make_organiser = make_organiser
        self._make_campaign = make_campaign
        self._make_event = make_event

    @cached_property
    def admin(self) -> Organiser:
        """A site admin, and the campaign's admin."""
        return self._make_organiser(is_admin=True)

    @cached_property
    def organiser(self) -> Organiser:
        """Organises every event below."""
        return self._make_organiser()

    @cached_property
    def campaign(self):
        return self._make_campaign(admin=self.admin)

    def event_in(self, status: EventStatus):
        return self._make_event(campaign=self.campaign, organiser=self.organiser, status=status)

    @cached_property
    def event(self):
        """Published; groups need 3 to 8 people."""
        return self.event_in(EventStatus.PUBLISHED)

    @cached_property
    def group_of_two(self) -> tuple[groups.Joined, groups.Joined]:
        """A forming group: its leader and one member."""
        leader = groups.start_group(self.event, volunteer())
        db.session.commit()
        member = groups.join_group(leader.membership.group, volunteer())
        db.session.commit()
        return leader, member

    @property
    def leader(self) -> groups.Joined:
        return self.group_of_two[0]

    @property
    def member(self) -> groups.Joined:
        return self.group_of_two[1]

    @cached_property
    def lone_group(self):
        """A second forming group, of one."""
        joined = groups.start_group(self.event, volunteer())
        db.session.commit()
        return joined.membership.group

    def slogan(self, status: SloganStatus):
        """A slogan of the campaign in the given state."""
        if status is SloganStatus.SUGGESTED:
            slogan = suggest_slogan(
                self.leader.membership,
                SloganDetails("WHY NOT LISTEN?", "en", SloganKind.QUESTION),
            )
        else:
            slogan = add_slogan(
                self.campaign,
                self.admin,
                SloganDetails(f"WE ARE {status.value.upper()}", "en", SloganKind.IDENTITY),
            )
            if status is SloganStatus.RETIRED:
                review_slogan(slogan, self.admin, SloganStatus.RETIRED)
        db.session.commit()
        return slogan


@pytest.fixture
def world(make_organiser, make_campaign, make_event):
    return World(make_organiser, make_campaign, make_event)


def signed_in_as(client: FlaskClient, organiser: Organiser) -> None:
    response = sign_in(client, organiser.email)
    assert response.status_code == 302, response.get_data(as_text=True)


def with_two_factor(organiser: Organiser) -> list[str]:
    """Turn on two-factor sign-in for the organiser; returns the recovery codes."""
    secret = new_totp_secret()
    codes = enable_two_factor(organiser, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    return codes


# --- form data that would be accepted --------------------------------------------------------


def volunteer_form(**extra: str) -> dict[str, str]:
    person = volunteer()
    return {"display_name": person.display_name, "contact": person.contact, "pledge": "y", **extra}


def campaign_form(slug: str, **overrides: str) -> dict[str, str]:
    return {
        "name": "Stand with the Hazaras",
        "slug": slug,
        "description": "Small groups, everywhere.",
        "pledge": "Stay calm.\nNever go alone.",
        "default_min_group_size": "3",
        "default_max_group_size": "8",
        "retention_days": "7",
        "languages": "en",
        "admin_emails": "",
        **overrides,
    }


def event_form(world: World, **overrides: str) -> dict[str, str]:
    start = world.event.starts_at.replace(tzinfo=None)
    end = world.event.ends_at.replace(tzinfo=None)
    # A place whose zone is its country's: a zone that is not is sent back with a warning.
    where = {"latitude": "", "longitude": "", "country": "GB", "timezone": "Europe/London"}
    return helpers.event_form(world.campaign.id, start, end, **{**where, **overrides})


# --- how to build each POST --------------------------------------------------------------


@dataclass
class Post:
    url: str
    data: dict[str, str] = field(default_factory=dict)
    #: Where the form puts its token: forms with a prefix name it "<prefix>-csrf_token".
    token_field: str = "csrf_token"
    #: The status of the same request with the right token.
    accepted_status: int = 302
    #: Whether the accepted request changes the database (False: it only redirects).
    changes: bool = True


Build = Callable[[World, FlaskClient, str], Post]
#: (endpoint, variant) → how to build its request. The variant is the value of an
#: ``any(...)`` part of the URL, or the slogan review action; "" for other routes.
CASES: dict[tuple[str, str], Build] = {}


def case(endpoint: str, *variants: str):
    def register(build: Build) -> Build:
        for variant in variants or ("",):
            CASES[(endpoint, variant)] = build
        return build

    return register


@case("accounts.login")
def _login(w: World, client: FlaskClient, _variant: str) -> Post:
    return Post("/auth/login", {"email": w.organiser.email, "password": PASSWORD}, changes=False)


@case("accounts.register")
def _register(w: World, client: FlaskClient, _variant: str) -> Post:
    data = {
        "display_name": "New Organiser",
        "email": "new.organiser@example.org",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    return Post("/auth/register", data)


@case("accounts.two_factor")
def _two_factor(w: World, client: FlaskClient, _variant: str) -> Post:
    codes = with_two_factor(w.organiser)
    response = sign_in(client, w.organiser.email)
    assert response.headers["Location"] == "/auth/two-factor"
    return Post("/auth/two-factor", {"code": codes[0]})  # a recovery code is used up


@case("accounts.logout")
def _logout(w: World, client: FlaskClient, _variant: str) -> Post:
    signed_in_as(client, w.organiser)
    return Post("/auth/logout")  # ends every session: a new session nonce


@case("accounts.change_password")
def _change_password(w: World, client: FlaskClient, _variant: str) -> Post:
    signed_in_as(client, w.organiser)
    data = {
        "password-current_password": PASSWORD,
        "password-new_password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD,
    }
    return Post("/auth/account/password", data, token_field="password-csrf_token")


@case("accounts.change_email")
def _change_email(w: World, client: FlaskClient, _variant: str) -> Post:
    signed_in_as(client, w.organiser)
    data = {"email-email": "moved@example.org", "email-current_password": PASSWORD}
    return Post("/auth/account/email", data, token_field="email-csrf_token")


@case("accounts.enable_two_factor")
def _enable_two_factor(w: World, client: FlaskClient, _variant: str) -> Post:
    signed_in_as(client, w.organiser)
    client.get("/auth/account")  # puts the key being set up in the session
    with client.session_transaction() as session:
        secret = session["two_factor_setup"]
    return Post(
        "/auth/account/two-factor/enable",
        {"enable-code": pyotp.TOTP(secret).now()},
        token_field="enable-csrf_token",
        accepted_status=200,  # the page of recovery codes
    )


@case("accounts.disable_two_factor")
def _disable_two_factor(w: World, client: FlaskClient, _variant: str) -> Post:
    signed_in_as(client, w.organiser)
    with_two_factor(w.organiser)
    return Post(
        "/auth/account/two-factor/disable",
        {"disable-password": PASSWORD},
        token_field="disable-csrf_token",
    )


@case("board.consolidate")
def _consolidate(w: World, client: FlaskClient, _variant: str) -> Post:
    w.group_of_two, w.lone_group  # noqa: B018  (two forming groups to merge)
    signed_in_as(client, w.organiser)
    return Post(f"/organise/events/{w.event.ref}/consolidate")


@case("board.retry_messages")
def _retry_messages(w: World, client: FlaskClient, _variant: str) -> Post:
    # The leader's welcome message failed: the retry queues it again.
    failed = db.session.scalars(
        select(Message).where(Message.membership_id == w.leader.membership.id)
    ).first()
    failed.status = MessageStatus.FAILED
    db.session.commit()
    signed_in_as(client, w.organiser)
    return Post(f"/organise/events/{w.event.ref}/messages/retry")


@case("board.merge")
def _merge(w: World, client: FlaskClient, _variant: str) -> Post:
    data = {"source": str(w.lone_group.id), "target": str(w.leader.membership.group_id)}
    signed_in_as(client, w.organiser)
    return Post(f"/organise/events/{w.event.ref}/merge", data)


@case("campaigns.new_campaign")
def _new_campaign(w: World, client: FlaskClient, _variant: str) -> Post:
    signed_in_as(client, w.admin)
    return Post("/organise/campaigns/new", campaign_form("another-campaign"))


@case("campaigns.edit_campaign")
def _edit_campaign(w: World, client: FlaskClient, _variant: str) -> Post:
    slug = w.campaign.slug
    signed_in_as(client, w.admin)
    return Post(f"/organise/campaigns/{slug}/edit", campaign_form(slug, name="Renamed"))


@case("events.new_event")
def _new_event(w: World, client: FlaskClient, _variant: str) -> Post:
    data = event_form(w)
    signed_in_as(client, w.organiser)
    return Post("/organise/events/new", data)


@case("events.edit_event")
def _edit_event(w: World, client: FlaskClient, _variant: str) -> Post:
    draft = w.event_in(EventStatus.DRAFT)
    data = event_form(w, title="A new title")
    signed_in_as(client, w.organiser)
    return Post(f"/organise/events/{draft.ref}/edit", data)


#: Lifecycle action → (the event's status before, who may take it).
LIFECYCLE = {
    "submit": (EventStatus.DRAFT, "organiser"),
    "withdraw": (EventStatus.PENDING, "organiser"),
    "publish": (EventStatus.PENDING, "admin"),
    "accept": (EventStatus.PUBLISHED, "admin"),
}


@case("events.change_status", *LIFECYCLE)
def _change_status(w: World, client: FlaskClient, action: str) -> Post:
    status, who = LIFECYCLE[action]
    event = w.event_in(status)
    data = {}
    if action == "publish":  # the fingerprint of the page the admin read
        data["seen"] = events.review_fingerprint(event)
    if action == "accept":  # a text change by the organiser, waiting for the admin
        events.update_event(event, w.organiser, event_details(description="Changed."))
        db.session.commit()
    signed_in_as(client, getattr(w, who))
    return Post(f"/organise/events/{event.ref}/{action}", data)


@case("events.cancel")
def _cancel_event(w: World, client: FlaskClient, _variant: str) -> Post:
    event = w.event_in(EventStatus.PUBLISHED)
    signed_in_as(client, w.organiser)
    return Post(f"/organise/events/{event.ref}/cancel", {"reason": "Rain."})


@case("events.translations")
def _translations(w: World, client: FlaskClient, _variant: str) -> Post:
    event = w.event_in(EventStatus.PUBLISHED)
    event.campaign.languages = "en fa"
    db.session.commit()
    signed_in_as(client, w.admin)
    return Post(f"/organise/events/{event.ref}/translations", {"description__fa": "متن"})


@case("groups.join_event")
def _join_event(w: World, client: FlaskClient, _variant: str) -> Post:
    return Post(f"/e/{w.event.ref}/join", volunteer_form(mode="any"))


@case("groups.join_by_code")
def _join_by_code(w: World, client: FlaskClient, _variant: str) -> Post:
    return Post(f"/j/{w.leader.membership.group.join_code}", volunteer_form())


@case("groups.day_of_event", "check-in", "home-safe")
def _day_of_event(w: World, client: FlaskClient, step: str) -> Post:
    # Ten days early the service says "not yet": a redirect, nothing written.
    return Post(f"/me/{w.leader.token}/{step}", changes=False)


@case("groups.leave")
def _leave(w: World, client: FlaskClient, _variant: str) -> Post:
    return Post(f"/me/{w.member.token}/leave", {"confirmed": "yes"})


@case("groups.meeting")
def _meeting(w: World, client: FlaskClient, _variant: str) -> Post:
    data = {"meeting_point": "By the fountain", "meeting_at": ""}
    return Post(f"/me/{w.leader.token}/meeting", data)


@case("groups.remove")
def _remove(w: World, client: FlaskClient, _variant: str) -> Post:
    return Post(f"/me/{w.leader.token}/remove/{w.member.membership.id}", {"confirmed": "yes"})


@case("groups.verify")
def _verify(w: World, client: FlaskClient, _variant: str) -> Post:
    # The factory's campaign does not verify: the leader is verified, nothing changes.
    return Post(f"/me/{w.leader.token}/verify", {"code": "123456"}, changes=False)


@case("groups.new_code")
def _new_code(w: World, client: FlaskClient, _variant: str) -> Post:
    return Post(f"/me/{w.leader.token}/new-code", changes=False)


@case("groups.messages_setting", "stop", "resume")
def _messages_setting(w: World, client: FlaskClient, setting: str) -> Post:
    # Resuming what was never stopped changes nothing.
    return Post(f"/me/{w.leader.token}/messages/{setting}", changes=setting == "stop")


@case("groups.my_link")
def _my_link(w: World, client: FlaskClient, _variant: str) -> Post:
    # A contact nobody joined with: the same page, nothing sent.
    return Post(
        f"/e/{w.event.ref}/my-link",
        {"contact": "+12015550999"},
        changes=False,
        accepted_status=200,  # the same page, saying what happens next
    )


@case("groups.rename")
def _rename(w: World, client: FlaskClient, _variant: str) -> Post:
    return Post(f"/me/{w.leader.token}/rename", {"name": "The fountain group"})


@case("slogans.bank")
def _bank(w: World, client: FlaskClient, _variant: str) -> Post:
    signed_in_as(client, w.admin)
    data = {"text": "ANSWER PLEASE", "language": "en", "kind": "call", "theme": ""}
    return Post(f"/organise/campaigns/{w.campaign.slug}/slogans", data)


@case("slogans.edit")
def _edit_slogan(w: World, client: FlaskClient, _variant: str) -> Post:
    slogan = w.slogan(SloganStatus.APPROVED)
    signed_in_as(client, w.admin)
    data = {"text": "I AM HAZARA", "language": "en", "kind": "identity", "theme": ""}
    return Post(f"/organise/campaigns/{w.campaign.slug}/slogans/{slogan.id}/edit", data)


#: Review action → the slogan's status before it.
REVIEWED_FROM = {
    "approve": SloganStatus.SUGGESTED,
    "retire": SloganStatus.APPROVED,
    "restore": SloganStatus.RETIRED,
}


@case("slogans.review", *REVIEWED_FROM)
def _review(w: World, client: FlaskClient, action: str) -> Post:
    slogan = w.slogan(REVIEWED_FROM[action])
    signed_in_as(client, w.admin)
    return Post(f"/organise/campaigns/{w.campaign.slug}/slogans/{slogan.id}/{action}")


@case("slogans.new_set")
def _new_set(w: World, client: FlaskClient, _variant: str) -> Post:
    w.slogan(SloganStatus.APPROVED)  # signs in English
    data = {"language": "en", "second_language": ""}
    return Post(f"/me/{w.leader.token}/signs/new-set", data)


@case("slogans.suggest")
def _suggest(w: World, client: FlaskClient, _variant: str) -> Post:
    data = {"text": "WHY DO YOU NOT ANSWER?", "language": "en", "kind": "question"}
    return Post(f"/me/{w.leader.token}/slogans/suggest", data)


# --- what the app has ----------------------------------------------------------------------

#: ``<any(a, 'b-c'):name>`` in a rule: the route is covered once per choice.
ANY_PART = re.compile(r"<any\(([^)]*)\):\w+>")


#: POST routes machines call, exempt from CSRF and authenticated otherwise, with where
#: that is tested.
EXEMPT = {
    "sms_inbound.inbound": "tests/messaging/test_sms_inbound.py (its shared secret)",
    "groups.unsubscribe": "RFC 8058 one-click POST; the signed link is the credential",
}


def post_routes(app) -> set[tuple[str, str]]:
    """(endpoint, variant) for every way to POST, as ``CASES`` keys them."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in EXEMPT:
            continue
        match = ANY_PART.search(rule.rule)
        if match:
            variants = [part.strip().strip("'\"") for part in match.group(1).split(",")]
        elif rule.endpoint == "slogans.review":
            variants = list(REVIEW_ACTIONS)
        else:
            variants = [""]
        routes.update((rule.endpoint, variant) for variant in variants)
    return routes


def database_snapshot() -> dict[str, list[str]]:
    """Every row of every table, to compare before and after."""
    return {
        table.name: sorted(repr(tuple(row)) for row in db.session.execute(table.select()))
        for table in db.metadata.sorted_tables
    }


# --- the tests -------------------------------------------------------------------------------


def test_every_post_route_has_a_case(app):
    routes = post_routes(app)
    missing = sorted(routes - set(CASES))
    assert not missing, f"POST routes with no entry in CASES (add how to build them): {missing}"
    stale = sorted(set(CASES) - routes)
    assert not stale, f"CASES names routes the app no longer has: {stale}"


def test_only_the_listed_routes_are_exempt(app):
    views = app.view_functions
    exempt = {
        endpoint
        for endpoint, view in views.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    assert exempt == set(EXEMPT)


def test_review_actions_match_the_app():
    assert set(REVIEWED_FROM) == set(REVIEW_ACTIONS)


def case_id(key: tuple[str, str]) -> str:
    endpoint, variant = key
    return f"{endpoint}[{variant}]" if variant else endpoint


@pytest.mark.parametrize("key", sorted(CASES), ids=case_id)
def test_post_without_the_right_token_is_refused(app, client, world, key):
    post = CASES[key](world, client, key[1])
    right_token = csrf_token(client, "/auth/login")
    other_browsers_token = csrf_token(app.test_client(), "/auth/login")
    assert other_browsers_token != right_token
    before = database_snapshot()

    attempts = {
        "no token": ({}, {}),
        "not a token": ({post.token_field: "not-a-token"}, {}),
        "another session's token": ({post.token_field: other_browsers_token}, {}),
        "wrong header": ({}, {"X-CSRFToken": other_browsers_token}),
    }
    for attempt, (token_data, headers) in attempts.items():
        response = client.post(post.url, data={**post.data, **token_data}, headers=headers)
        assert response.status_code == 400, f"{attempt}: {response.status_code}"
        assert REFUSED in response.get_data(as_text=True), attempt
        assert database_snapshot() == before, f"{attempt}: the database changed"

    # The same request with this session's token goes through: the token made the difference.
    response = client.post(post.url, data={**post.data, post.token_field: right_token})
    body = response.get_data(as_text=True)
    assert response.status_code == post.accepted_status, body[:2000]
    assert REFUSED not in body
    if post.changes:
        assert database_snapshot() != before, "the accepted request changed nothing"
