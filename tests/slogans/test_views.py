"""Slogan pages and sign files through the test client, CSRF on."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import Slogan, SloganStatus
from campaign.slogans import service
from tests.factories import volunteer
from tests.helpers import csrf_token, submit


def pdf_texts(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    return [squash(p.extract_text()) for p in PdfReader(io.BytesIO(response.data)).pages]


def squash(text: str) -> str:
    """Without spaces: huge letters come out of a PDF with stray ones ("HAZAR A")."""
    return "".join(text.split())


@pytest.fixture
def group_of_three(make_campaign, make_event, with_bank):
    """A campaign with a bank, an event, and a group of three joined by tokens."""
    campaign = with_bank(make_campaign())
    event = make_event(campaign=campaign, city="Quetta", country="PK", timezone="Asia/Karachi")
    joined = [groups.start_group(event, volunteer(display_name="Leader"))]
    group = joined[0].membership.group
    for name in ("Bano", "Cyrus"):
        joined.append(groups.join_group(group, volunteer(display_name=name)))
    db.session.commit()
    return event, group, [j.token for j in joined]


def test_member_page_shows_my_sign_and_the_leader_sees_the_set(client, group_of_three):
    _event, group, tokens = group_of_three
    signs = service.group_signs(group)
    page = client.get(f"/me/{tokens[1]}").get_data(as_text=True)
    assert "Yours is number 2" in page
    assert signs[1].text in page
    assert 'class="sign-preview"' in page
    assert f"/me/{tokens[1]}/sign.pdf" in page
    assert f"/me/{tokens[1]}/signs.pdf" not in page  # not the leader
    leader_page = client.get(f"/me/{tokens[0]}").get_data(as_text=True)
    assert f"/me/{tokens[0]}/signs.pdf" in leader_page
    assert leader_page.count('class="sign-preview"') == 4  # own + the set of three
    for name in ("Leader", "Bano", "Cyrus"):
        assert name in leader_page


def test_each_member_prints_their_own_sign(client, group_of_three):
    _event, group, tokens = group_of_three
    signs = service.group_signs(group)
    for n, token in enumerate(tokens):
        (text,) = pdf_texts(client.get(f"/me/{token}/sign.pdf?paper=a3&orientation=portrait"))
        assert squash(signs[n].text) in text
        assert f"sign{n + 1}of3" in text


def test_the_leader_prints_the_set_others_may_not(client, group_of_three):
    _event, group, tokens = group_of_three
    texts = pdf_texts(client.get(f"/me/{tokens[0]}/signs.pdf"))
    assert len(texts) == 3
    for n, (sign, text) in enumerate(zip(service.group_signs(group), texts, strict=True)):
        assert squash(sign.text) in text and f"sign{n + 1}of3" in text
    response = client.get(f"/me/{tokens[1]}/signs.pdf")
    assert response.status_code == 403


def test_a_member_of_another_group_gets_only_their_own_groups_signs(
    client, group_of_three, make_group
):
    event, group, _tokens = group_of_three
    other = make_group(event, 3)
    other.sign_seed = group.sign_seed + 1
    db.session.commit()
    outsider = groups.join_group(other, volunteer())
    db.session.commit()
    mine = pdf_texts(client.get(f"/me/{outsider.token}/sign.pdf"))[0]
    assert "sign4of4" in mine  # their own group of four, not the group of three
    assert client.get("/me/not-a-token/sign.pdf").status_code == 404
    assert client.get("/me/not-a-token/signs.pdf").status_code == 404
    assert client.get("/me/not-a-token/sign").status_code == 404


def test_bad_paper_gets_a_clear_400(client, group_of_three):
    _, _, tokens = group_of_three
    response = client.get(f"/me/{tokens[0]}/sign.pdf?paper=b5")
    assert response.status_code == 400
    assert "Choose a paper size" in response.get_data(as_text=True)
    assert client.get(f"/me/{tokens[0]}/sign.pdf?orientation=sideways").status_code == 400


def test_the_full_screen_sign_page(client, group_of_three):
    _, group, tokens = group_of_three
    response = client.get(f"/me/{tokens[2]}/sign")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert service.group_signs(group)[2].text in page
    assert "/static/js/sign.js" in page
    assert "site-header" not in page  # no other UI


def test_leader_asks_for_a_new_set_in_persian(client, group_of_three):
    _, group, tokens = group_of_three
    url = f"/me/{tokens[0]}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/signs/new-set",
        data={"csrf_token": token, "language": "fa", "second_language": "en"},
    )
    assert response.status_code == 302
    db.session.refresh(group)
    assert group.sign_language == "fa"
    text = pdf_texts(client.get(f"/me/{tokens[0]}/sign.pdf"))[0]
    assert "منهزارههستم" in text and "IAMHAZARA" in text
    client.post(
        f"/me/{tokens[1]}/signs/new-set",
        data={"csrf_token": csrf_token(client, f"/me/{tokens[1]}"), "language": "en"},
    )
    refused = client.get(f"/me/{tokens[1]}")
    assert "Only the group leader can do that." in refused.get_data(as_text=True)
    assert client.post(f"{url}/signs/new-set", data={"language": "en"}).status_code in (302, 400)
    db.session.refresh(group)
    assert group.sign_language == "fa"  # without a CSRF token nothing changed


def test_a_volunteer_suggests_and_the_admin_approves(client, signed_in, group_of_three):
    event, _group, tokens = group_of_three
    url = f"/me/{tokens[1]}"
    suggestion = {"text": "WE ARE STILL HERE", "language": "en", "kind": "question"}
    submit(client, f"{url}/slogans/suggest", suggestion, form_from=url)
    response = client.get(url)
    assert "admins will read your suggestion" in response.get_data(as_text=True)
    slogan = db.session.scalar(select(Slogan).where(Slogan.text == "WE ARE STILL HERE"))
    assert slogan.status is SloganStatus.SUGGESTED

    abuse = {"text": "DEATH TO THEM", "language": "en", "kind": "call"}
    submit(client, f"{url}/slogans/suggest", abuse, form_from=url)
    blocked = client.get(url)
    assert "contains a word the campaign does not use" in blocked.get_data(as_text=True)

    signed_in(event.campaign.admins[0])
    bank_url = f"/organise/campaigns/{event.campaign.slug}/slogans"
    page = client.get(bank_url).get_data(as_text=True)
    assert "WE ARE STILL HERE" in page
    client.post(
        f"{bank_url}/{slogan.id}/approve", data={"csrf_token": csrf_token(client, bank_url)}
    )
    db.session.refresh(slogan)
    assert slogan.status is SloganStatus.APPROVED


def test_the_bank_page_is_for_campaign_admins_only(
    client, signed_in, make_campaign, make_organiser
):
    campaign = make_campaign()
    url = f"/organise/campaigns/{campaign.slug}/slogans"
    assert client.get(url).headers["Location"].startswith("/auth/login")
    signed_in(make_organiser())
    assert client.get(url).status_code == 404


def test_an_admin_adds_and_edits_slogans_with_messages(client, signed_in, make_campaign):
    campaign = make_campaign()
    signed_in(campaign.admins[0])
    url = f"/organise/campaigns/{campaign.slug}/slogans"

    def post(target, **fields):
        data = {"csrf_token": csrf_token(client, url), "language": "en", "kind": "identity"}
        data.update(fields)
        return client.post(target, data=data)

    bad = post(url, text="{town} STANDS WITH US")
    assert bad.status_code == 200
    assert "Unknown placeholder. Use only {city}, {country}, {venue}, {campaign}." in (
        bad.get_data(as_text=True)
    )
    unbalanced = post(url, text="{city STANDS")
    assert "A brace is not closed" in unbalanced.get_data(as_text=True)
    assert post(url, text="{city} STANDS WITH THE HAZARAS", theme="city").status_code == 302
    slogan = db.session.scalar(select(Slogan))
    edit = f"{url}/{slogan.id}/edit"
    assert "{city} STANDS WITH THE HAZARAS" in client.get(edit).get_data(as_text=True)
    assert post(edit, text="{city} STANDS WITH US", kind="call").status_code == 302
    db.session.refresh(slogan)
    assert (slogan.text, slogan.kind.value) == ("{city} STANDS WITH US", "call")
    assert client.get(f"{url}/99999/edit").status_code == 404


def test_the_organiser_prints_every_sign_of_the_event(
    client, signed_in, group_of_three, make_group, make_organiser
):
    event, _group, _tokens = group_of_three
    make_group(event, 2)
    url = f"/organise/events/{event.ref}/signs.pdf"
    assert client.get(url).headers["Location"].startswith("/auth/login")
    signed_in(make_organiser())
    assert client.get(url).status_code == 404
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/organise")})
    signed_in(event.organiser)
    texts = pdf_texts(client.get(url))
    assert len(texts) == 5  # 3 + 2
    board = client.get(f"/organise/events/{event.ref}/board").get_data(as_text=True)
    assert url in board
