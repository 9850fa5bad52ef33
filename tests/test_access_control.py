"""Who may open what: every organiser and admin route tried as nobody, as another organiser
and as the one it belongs to; every member route with a wrong token.

The tables are checked against the app's URL map, so a new route must be added here."""

import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.groups import service
from campaign.models import Slogan, SloganKind
from campaign.slogans.service import SloganDetails, add_slogan
from tests.factories import volunteer
from tests.helpers import csrf_token, sign_in

#: "campaign": a campaign admin; "anyone": any signed-in organiser; "site": a site admin.
ORGANISER_ROUTES = {
    "events.dashboard": ("GET", "/organise", "anyone"),
    "events.new_event": ("GET", "/organise/events/new", "anyone"),
    "events.review": ("GET", "/organise/review", "anyone"),
    "accounts.account": ("GET", "/auth/account", "anyone"),
    "events.edit_event": ("GET", "/organise/events/{ref}/edit", "event"),
    "events.change_status": ("POST", "/organise/events/{ref}/submit", "event"),
    "events.cancel": ("GET", "/organise/events/{ref}/cancel", "event"),
    "events.translations": ("GET", "/organise/events/{ref}/translations", "campaign"),
    "board.board": ("GET", "/organise/events/{ref}/board", "event"),
    "board.export_csv": ("GET", "/organise/events/{ref}/signups.csv", "event"),
    "board.merge": ("POST", "/organise/events/{ref}/merge", "event"),
    "board.consolidate": ("POST", "/organise/events/{ref}/consolidate", "event"),
    "board.retry_messages": ("POST", "/organise/events/{ref}/messages/retry", "event"),
    "slogans.event_signs_pdf": ("GET", "/organise/events/{ref}/signs.pdf", "event"),
    "campaigns.edit_campaign": ("GET", "/organise/campaigns/{slug}/edit", "campaign"),
    "campaigns.contact_log": ("GET", "/organise/campaigns/{slug}/contact-log", "campaign"),
    "slogans.bank": ("GET", "/organise/campaigns/{slug}/slogans", "campaign"),
    "slogans.edit": ("GET", "/organise/campaigns/{slug}/slogans/{slogan}/edit", "campaign"),
    "slogans.review": ("POST", "/organise/campaigns/{slug}/slogans/{slogan}/retire", "campaign"),
    "campaigns.new_campaign": ("GET", "/organise/campaigns/new", "site"),
}
#: Routes of the signed-in organiser's own account that are POST-only forms.
ACCOUNT_FORMS = {
    "accounts.change_email",
    "accounts.change_password",
    "accounts.enable_two_factor",
    "accounts.disable_two_factor",
}
MEMBER_ROUTES = {
    "groups.member": ("GET", "/me/{token}"),
    "groups.member_state": ("GET", "/me/{token}/state.json"),
    "member_manifest": ("GET", "/me/{token}/app.webmanifest"),
    "groups.leave": ("GET", "/me/{token}/leave"),
    "groups.day_of_event": ("POST", "/me/{token}/check-in"),
    "groups.meeting": ("POST", "/me/{token}/meeting"),
    "groups.rename": ("POST", "/me/{token}/rename"),
    "groups.remove": ("POST", "/me/{token}/remove/{member}"),
    "groups.verify": ("POST", "/me/{token}/verify"),
    "groups.new_code": ("POST", "/me/{token}/new-code"),
    "groups.messages_setting": ("POST", "/me/{token}/messages/stop"),
    "exports.member_calendar": ("GET", "/me/{token}/calendar.ics"),
    "slogans.sign_screen": ("GET", "/me/{token}/sign"),
    "slogans.own_sign_pdf": ("GET", "/me/{token}/sign.pdf"),
    "slogans.group_signs_pdf": ("GET", "/me/{token}/signs.pdf"),
    "slogans.new_set": ("POST", "/me/{token}/signs/new-set"),
    "slogans.suggest": ("POST", "/me/{token}/slogans/suggest"),
}


def test_the_tables_cover_every_private_route(app):
    private = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/organise", "/auth/account"))
    }
    assert private == set(ORGANISER_ROUTES) | ACCOUNT_FORMS
    members = {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/me/")}
    assert members == set(MEMBER_ROUTES)


def _build(factory) -> tuple:
    campaign = factory.campaign()
    admin = campaign.admins[0]
    owner = factory.organiser()
    stranger = factory.organiser()
    event = factory.event(campaign=campaign, organiser=owner)
    joined = service.start_group(event, volunteer())
    service.join_group(joined.membership.group, volunteer())
    add_slogan(campaign, admin, SloganDetails("I AM HAZARA", "en", SloganKind.IDENTITY))
    db.session.commit()
    values = {
        "ref": event.ref,
        "slug": campaign.slug,
        "slogan": db.session.scalar(select(Slogan.id)),
    }
    people = {"event": owner, "campaign": admin, "anyone": stranger, "site": admin}
    return values, {whose: person.email for whose, person in people.items()}, stranger.email


@pytest.fixture(scope="module")
def built_world(build_world):
    """A campaign, its event with a group of two, a slogan, and three organisers: made once
    for the module."""
    return build_world(_build)


@pytest.fixture
def world(app, built_world):
    """This test's own copy: (URL values, email of whose it is, a stranger's email)."""
    return built_world.copy()


def _request(client, method, url):
    if method == "GET":
        return client.get(url)
    # A valid CSRF token, so what is tested is who may, not the token.
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/login")})


@pytest.mark.parametrize("endpoint", sorted(ORGANISER_ROUTES))
def test_anonymous_visitors_are_sent_to_sign_in(client, world, endpoint):
    values, _, _ = world
    method, template, _ = ORGANISER_ROUTES[endpoint]
    response = _request(client, method, template.format(**values))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    "endpoint", sorted(e for e, (_, _, whose) in ORGANISER_ROUTES.items() if whose != "anyone")
)
def test_another_organiser_is_refused(client, world, endpoint):
    values, _, stranger = world
    method, template, _ = ORGANISER_ROUTES[endpoint]
    sign_in(client, stranger)
    response = _request(client, method, template.format(**values))
    assert response.status_code in (403, 404)


@pytest.mark.parametrize("endpoint", sorted(ORGANISER_ROUTES))
def test_the_owner_gets_in(client, world, endpoint):
    values, people, _ = world
    method, template, whose = ORGANISER_ROUTES[endpoint]
    sign_in(client, people[whose])
    response = _request(client, method, template.format(**values))
    if method == "GET":
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    else:  # a done action, or a form shown again with its errors: never refused
        assert response.status_code in (200, 302)
        assert not response.headers.get("Location", "").startswith("/auth/login")


@pytest.mark.parametrize("endpoint", sorted(MEMBER_ROUTES))
def test_member_routes_with_a_wrong_token_are_404(client, world, endpoint):
    method, template = MEMBER_ROUTES[endpoint]
    wrong = "x" * 32
    response = _request(client, method, template.format(token=wrong, member=1))
    assert response.status_code == 404
