"""The campaign's own words in the reader's language: admins write the description and
the pledge in each of the campaign's languages; readers get theirs, else the first one,
marked with the language it is really in."""

import re

from campaign.extensions import db
from tests.helpers import csrf_token

PLEDGE_FA = "آرام می‌مانیم. هرگز تنها نمی‌رویم."
PLEDGE_UR = "ہم پرسکون رہیں گے۔ کبھی اکیلے نہیں جائیں گے۔"
ABOUT_FA = "گروه‌های کوچک و آرام در سراسر جهان."


def _edit_form(client, campaign, **extra) -> dict:
    url = f"/organise/campaigns/{campaign.slug}/edit"
    page = client.get(url).get_data(as_text=True)
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    values.update(
        {
            "csrf_token": csrf_token(client, url),
            "name": campaign.name,
            "slug": campaign.slug,
            "description": "Small calm groups all over the world.",
            "pledge": campaign.pledge,
            "languages": "en fa ur",
            "verify_contacts": "y",
        }
    )
    values.update(extra)
    return values


def _in(client, language: str, url: str) -> str:
    client.get(f"/language/{language}")
    return client.get(url).get_data(as_text=True)


def test_admins_write_the_pledge_in_each_language_and_readers_get_theirs(
    client, signed_in, make_campaign, make_event
):
    campaign = make_campaign(languages=["en", "fa", "ur"])
    event = make_event(campaign=campaign)
    signed_in(campaign.admins[0])
    url = f"/organise/campaigns/{campaign.slug}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="pledge__fa"' in page and 'name="description__ur"' in page
    # The Persian text areas read right to left.
    assert re.search(r'<textarea [^>]*dir="rtl" id="pledge__fa" lang="fa"', page)
    data = _edit_form(client, campaign, pledge__fa=PLEDGE_FA, description__fa=ABOUT_FA)
    data["pledge__ur"] = PLEDGE_UR
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert campaign.translations["fa"] == {"description": ABOUT_FA, "pledge": PLEDGE_FA}

    join = f"/e/{event.ref}/join"
    persian = _in(client, "fa", join)
    assert f'<div class="prose" lang="fa" dir="rtl">{PLEDGE_FA}</div>' in persian
    urdu = _in(client, "ur", join)
    assert f'<div class="prose" lang="ur" dir="rtl">{PLEDGE_UR}</div>' in urdu
    english = _in(client, "en", join)
    assert f'lang="en" dir="ltr">{campaign.pledge}</div>' in english
    assert ABOUT_FA in _in(client, "fa", f"/c/{campaign.slug}")
    # Urdu has no description of its own: the English one, marked English, left to right.
    urdu_campaign = _in(client, "ur", f"/c/{campaign.slug}")
    assert 'lang="en" dir="ltr">Small calm groups all over the world.</div>' in urdu_campaign


def test_a_pledge_not_yet_translated_is_marked_as_english_on_a_persian_page(
    client, make_campaign, make_event
):
    campaign = make_campaign(languages=["en", "fa"])
    event = make_event(campaign=campaign)
    page = _in(client, "fa", f"/e/{event.ref}/join")
    assert '<html lang="fa" dir="rtl">' in page
    assert f'<div class="prose" lang="en" dir="ltr">{campaign.pledge}</div>' in page


def test_an_admin_writes_the_event_description_in_other_languages(
    client, signed_in, make_campaign, make_event
):
    campaign = make_campaign(languages=["en", "fa"])
    event = make_event(campaign=campaign, description="Meet at the north gate.")
    url = f"/organise/events/{event.ref}/translations"
    signed_in(event.organiser)  # the organiser is not an admin of the campaign
    assert client.get(url).status_code == 403
    signed_in(campaign.admins[0])
    assert url in client.get(f"/e/{event.ref}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, url), "description__fa": "کنار دروازه شمالی."}
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(event)
    assert event.description_translations == {"fa": "کنار دروازه شمالی."}
    assert event.changed_since_review_at is None  # the admin vouches for it
    page = _in(client, "fa", f"/e/{event.ref}")
    assert '<div class="prose" lang="fa" dir="rtl">کنار دروازه شمالی.</div>' in page
    too_long = {**data, "description__fa": "x" * 5001}
    response = client.post(url, data=too_long)
    assert response.status_code == 200 and 'id="description__fa-error"' in response.text
    db.session.refresh(event)
    assert event.description_translations == {"fa": "کنار دروازه شمالی."}
