import pytest


@pytest.mark.parametrize(
    ("accept_language", "lang", "direction"),
    [
        ("fa-IR,fa;q=0.9,en;q=0.5", "fa", "rtl"),
        ("ur", "ur", "rtl"),
        ("de-DE,en;q=0.8", "en", "ltr"),
    ],
)
def test_html_lang_and_dir_follow_accept_language(
    client, make_campaign, accept_language, lang, direction
):
    campaign = make_campaign()
    page = client.get(f"/c/{campaign.slug}", headers={"Accept-Language": accept_language})
    assert f'<html lang="{lang}" dir="{direction}">' in page.get_data(as_text=True)


def test_language_switcher_is_remembered(client, make_campaign):
    campaign = make_campaign()
    response = client.get(f"/language/ur?next=/c/{campaign.slug}")
    assert response.headers["Location"] == f"/c/{campaign.slug}"
    page = client.get(f"/c/{campaign.slug}", headers={"Accept-Language": "en"})
    assert '<html lang="ur" dir="rtl">' in page.get_data(as_text=True)


def test_language_switcher_ignores_unknown_languages_and_foreign_next(client, app):
    response = client.get("/language/xx?next=//evil.example/")
    assert response.headers["Location"] == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


#: "Join a group" as the catalogs translate it: the event page's main button.
JOIN_A_GROUP = {"fa": "پیوستن به گروه", "ur": "گروپ میں شامل ہوں"}


@pytest.mark.parametrize("language", sorted(JOIN_A_GROUP))
def test_pages_are_translated_into_persian_and_urdu(client, make_event, language):
    event = make_event()
    page = client.get(f"/e/{event.ref}", headers={"Accept-Language": language})
    text = page.get_data(as_text=True)
    assert f'href="/e/{event.ref}/join">{JOIN_A_GROUP[language]}</a>' in text
    assert "Join a group" not in text


def test_a_validation_error_in_persian(client, make_event):
    from tests.helpers import csrf_token

    event = make_event()
    client.get("/language/fa")
    url = f"/e/{event.ref}/join"
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url), "display_name": "Zahra", "contact": "x"}
    )
    page = response.get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page
    assert "You must accept the pledge" not in page
    from flask_babel import force_locale, gettext

    from campaign.groups.forms import SIGNUP_ERROR_MESSAGES

    with force_locale("fa"):
        expected = str(SIGNUP_ERROR_MESSAGES["pledge_required"])
        assert expected != "You must accept the pledge to join a group."
        assert expected in page
        assert gettext("Join a group") != "Join a group"


def test_dates_and_numbers_are_localised(client, make_event):
    event = make_event(timezone="Asia/Kabul")
    persian = client.get(f"/e/{event.ref}", headers={"Accept-Language": "fa"}).get_data(
        as_text=True
    )
    # Dari month names (Babel's fa_AF): the campaign's Persian readers are Afghan.
    month_fa = {
        1: "جنوری",
        2: "فبروری",
        3: "مارچ",
        4: "اپریل",
        5: "می",
        6: "جون",
        7: "جولای",
        8: "اگست",
        9: "سپتمبر",
        10: "اکتوبر",
        11: "نومبر",
        12: "دسمبر",
    }
    local = event.starts_at.astimezone(event.zone)
    assert month_fa[local.month] in persian
    assert any(digit in persian for digit in "۰۱۲۳۴۵۶۷۸۹")  # Persian digits
    english = client.get(f"/e/{event.ref}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert local.strftime("%B") in english
