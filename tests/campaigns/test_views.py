import pytest
from sqlalchemy import select

from campaign.extensions import db
from campaign.models import Campaign
from tests.helpers import csrf_token


def _form(client, url, **overrides):
    data = {
        "csrf_token": csrf_token(client, url),
        "name": "Stand with the Hazaras",
        "slug": "stand-with-hazaras",
        "description": "Small groups, everywhere.",
        "pledge": "Stay calm.\nNever go alone.",
        "default_min_group_size": "3",
        "default_max_group_size": "8",
        "retention_days": "7",
        "languages": "en fa ur",
        "admin_emails": "",
    }
    data.update(overrides)
    return data


def test_site_admin_creates_a_campaign_and_becomes_its_admin(client, signed_in, make_organiser):
    admin = make_organiser(is_admin=True)
    signed_in(admin)
    url = "/organise/campaigns/new"
    response = client.post(url, data=_form(client, url))
    assert response.status_code == 302
    assert response.headers["Location"] == "/c/stand-with-hazaras"
    campaign = db.session.scalar(select(Campaign))
    assert campaign.languages == "en fa ur"
    assert [a.id for a in campaign.admins] == [admin.id]
    assert "Never go alone." in client.get("/c/stand-with-hazaras").get_data(as_text=True)


def test_organisers_who_are_not_site_admins_cannot_create_campaigns(
    client, signed_in, make_organiser
):
    signed_in(make_organiser())
    assert client.get("/organise/campaigns/new").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"default_min_group_size": "2"}, "default_min_group_size", "at least 3 people"),
        (
            {"default_min_group_size": "6", "default_max_group_size": "5"},
            "default_max_group_size",
            "cannot be below the minimum",
        ),
        ({"slug": "Not A Slug!"}, "slug", "lower-case letters"),
        ({"slug": "new"}, "slug", "lower-case letters"),
        ({"languages": "en xx-nonsense"}, "languages", "language codes"),
        ({"admin_emails": "nobody@example.org"}, "admin_emails", "needs an organiser account"),
        ({"pledge": ""}, "pledge", "This field is required."),
        ({"retention_days": "0"}, "retention_days", "Choose between 1 and 365 days."),
    ],
)
def test_bad_campaign_input_is_refused(
    client, signed_in, make_organiser, overrides, field, message
):
    signed_in(make_organiser(is_admin=True))
    url = "/organise/campaigns/new"
    response = client.post(url, data=_form(client, url, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert db.session.scalar(select(Campaign)) is None


def test_campaign_admin_edits_and_adds_an_admin(client, signed_in, make_campaign, make_organiser):
    campaign = make_campaign()
    admin = campaign.admins[0]
    colleague = make_organiser(email="colleague@example.org")
    signed_in(admin)
    url = f"/organise/campaigns/{campaign.slug}/edit"
    data = _form(
        client,
        url,
        slug=campaign.slug,
        name="Renamed",
        admin_emails="colleague@example.org",
        default_max_group_size="6",
    )
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(campaign)
    assert campaign.name == "Renamed"
    assert campaign.default_max_group_size == 6
    assert {a.id for a in campaign.admins} == {admin.id, colleague.id}


def test_other_organisers_cannot_edit_a_campaign(client, signed_in, make_campaign, make_organiser):
    campaign = make_campaign(name="Untouched")
    signed_in(make_organiser())
    url = f"/organise/campaigns/{campaign.slug}/edit"
    assert client.get(url).status_code == 404
    assert client.post(url, data=_form(client, "/organise")).status_code == 404
    db.session.refresh(campaign)
    assert campaign.name == "Untouched"


def test_slug_of_a_campaign_with_public_events_stays(client, signed_in, make_event):
    event = make_event()
    campaign = event.campaign
    signed_in(campaign.admins[0])
    url = f"/organise/campaigns/{campaign.slug}/edit"
    page = client.post(url, data=_form(client, url, slug="a-new-address")).get_data(as_text=True)
    assert "its address is printed on posters" in page
    db.session.refresh(campaign)
    assert campaign.slug != "a-new-address"
