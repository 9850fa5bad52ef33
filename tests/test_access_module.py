"""``campaign.access`` on its own: the predicates on plain objects, the query scope and
the loaders on a database. (``test_access_control`` tries every route through HTTP.)"""

from types import SimpleNamespace

import pytest
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

from campaign import access
from campaign.extensions import db
from campaign.groups.service import SignUpError
from campaign.models import Campaign, EventStatus, SloganKind
from campaign.service_errors import ServiceError
from campaign.slogans.service import SloganDetails, add_slogan

NOBODY = SimpleNamespace(is_authenticated=False, is_admin=False, id=None)


def person(id_: int, *, site_admin: bool = False) -> SimpleNamespace:
    return SimpleNamespace(is_authenticated=True, is_admin=site_admin, id=id_)


ORGANISER, CAMPAIGN_ADMIN, STRANGER, SITE_ADMIN = (
    person(1),
    person(2),
    person(3),
    person(4, site_admin=True),
)
CAMPAIGN = SimpleNamespace(admins=[CAMPAIGN_ADMIN])


def event(*, public: bool) -> SimpleNamespace:
    return SimpleNamespace(organiser_id=ORGANISER.id, campaign=CAMPAIGN, is_public=public)


def test_who_administers_a_campaign():
    assert access.administers(CAMPAIGN_ADMIN, CAMPAIGN)
    assert access.administers(SITE_ADMIN, CAMPAIGN)
    assert not access.administers(ORGANISER, CAMPAIGN)
    assert not access.administers(STRANGER, CAMPAIGN)
    assert not access.administers(NOBODY, CAMPAIGN)


def test_who_may_edit_an_event():
    draft = event(public=False)
    assert access.may_edit(ORGANISER, draft)
    assert access.may_edit(CAMPAIGN_ADMIN, draft)
    assert access.may_edit(SITE_ADMIN, draft)
    assert not access.may_edit(STRANGER, draft)
    # Signed out, even with the organiser's id: an anonymous user is nobody's.
    assert not access.may_edit(SimpleNamespace(is_authenticated=False, id=ORGANISER.id), draft)


def test_a_public_event_is_for_anyone_a_draft_only_for_its_editors():
    assert access.may_see(NOBODY, event(public=True))
    assert access.may_see(STRANGER, event(public=True))
    assert not access.may_see(NOBODY, event(public=False))
    assert not access.may_see(STRANGER, event(public=False))
    assert access.may_see(ORGANISER, event(public=False))


def test_only_site_admins_are_site_admins():
    assert access.is_site_admin(SITE_ADMIN)
    assert not access.is_site_admin(CAMPAIGN_ADMIN)
    assert not access.is_site_admin(SimpleNamespace(is_authenticated=False, is_admin=True))


def test_require_refuses_with_the_one_not_allowed():
    access.require(True)
    with pytest.raises(access.NotAllowed) as refused:
        access.require(False, what="event")
    assert isinstance(refused.value, ServiceError)
    assert refused.value.code == "not_allowed" and refused.value.field is None
    assert refused.value.problems == [(None, "not_allowed")]
    assert refused.value.detail == {"what": "event"}


def test_administered_by_keeps_to_the_organisers_campaigns(make_campaign, make_organiser):
    theirs, other = make_campaign(), make_campaign()
    admin = make_organiser()
    theirs.admins.append(admin)
    db.session.commit()

    def slugs(organiser):
        query = access.administered_by(select(Campaign.slug), organiser, Campaign.id)
        return set(db.session.scalars(query))

    assert slugs(admin) == {theirs.slug}
    assert slugs(make_organiser()) == set()
    # make_campaign's creators are site admins: they administer every campaign.
    assert slugs(other.admins[0]) == {theirs.slug, other.slug}


def test_loaders_answer_404_for_what_is_not_theirs(app, make_event, make_organiser):
    draft = make_event(status=EventStatus.DRAFT)
    published = make_event(campaign=draft.campaign)
    stranger = make_organiser()
    db.session.commit()
    with app.test_request_context("/"):
        assert access.public_event_or_404(published.ref.upper()) == published
        with pytest.raises(NotFound):
            access.public_event_or_404(draft.ref)
        with pytest.raises(NotFound):
            access.visible_event_or_404(draft.ref)  # signed out
        with pytest.raises(NotFound):
            access.event_or_404("no-such-ref")
        login_user(stranger)
        with pytest.raises(NotFound):
            access.editable_event_or_404(published.ref)
        with pytest.raises(NotFound):
            access.admin_campaign_or_404(draft.campaign.slug)
        with pytest.raises(Forbidden):
            access.site_admin_or_403()
        login_user(draft.organiser)
        assert access.editable_event_or_404(draft.ref) == draft
        assert access.visible_event_or_404(draft.ref) == draft


def test_a_slogan_is_found_only_under_its_own_campaign(app, make_campaign):
    first, second = make_campaign(), make_campaign()
    slogan = add_slogan(
        first, first.admins[0], SloganDetails("I AM HAZARA", "en", SloganKind.IDENTITY)
    )
    db.session.commit()
    assert access.slogan_of_or_404(first, slogan.id) == slogan
    for campaign, slogan_id in [(second, slogan.id), (first, slogan.id + 1), (first, 2**40)]:
        with pytest.raises(NotFound):
            access.slogan_of_or_404(campaign, slogan_id)


def test_an_unknown_member_link_says_what_it_can_mean(app):
    with app.test_request_context("/"), pytest.raises(HTTPException) as gone:
        access.membership_or_404("x" * 32)
    assert gone.value.response.status_code == 404
    assert "If you left the group" in gone.value.response.get_data(as_text=True)


def test_a_refusal_no_view_handles_is_a_page_not_a_500(app, caplog):
    """A race past a view's own check: the service's refusal still gets a page in words."""

    def refused_by_rule():
        raise SignUpError("made_up_code")

    app.add_url_rule("/test/not-allowed", "not_allowed", lambda: access.require(False))
    app.add_url_rule("/test/refused", "refused", refused_by_rule)
    client = app.test_client()
    forbidden = client.get("/test/not-allowed")
    assert forbidden.status_code == 403
    assert "You are not allowed to do that." in forbidden.get_data(as_text=True)
    refused = client.get("/test/refused")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "That is not possible now." in page and "made_up_code" not in page
    assert "made_up_code" in caplog.text
