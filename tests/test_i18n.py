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
