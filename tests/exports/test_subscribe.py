"""The subscribe page the campaign's QR code opens: the feed as a subscription in Apple's,
Google's and Microsoft's calendars, and as a plain address for any other."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.exports.pictures import decode_qr_png


def links(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


def one_link(page: str, prefix: str) -> str:
    (found,) = [link for link in links(page) if link.startswith(prefix)]
    return found


def test_the_campaign_qr_code_opens_the_subscribe_page(client, make_campaign):
    campaign = make_campaign()
    code = client.get(f"/c/{campaign.slug}/qr.png")
    assert decode_qr_png(code.data) == [f"http://localhost/c/{campaign.slug}/subscribe"]


def test_every_way_to_subscribe(client, make_campaign):
    campaign = make_campaign(name="I AM HAZARA & friends")
    response = client.get(f"/c/{campaign.slug}/subscribe")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # In the page's language: calendar servers send no cookie or Accept-Language.
    feed = f"http://localhost/c/{campaign.slug}/calendar.ics?lang=en"
    webcal = f"webcal://localhost/c/{campaign.slug}/calendar.ics?lang=en"
    assert one_link(page, "webcal:") == webcal
    google = one_link(page, "https://calendar.google.com/")
    assert urlsplit(google).path == "/calendar/r"
    assert parse_qs(urlsplit(google).query) == {"cid": [webcal]}
    for host in ("outlook.live.com", "outlook.office.com"):
        outlook = one_link(page, f"https://{host}/")
        assert urlsplit(outlook).path == "/calendar/0/addfromweb"
        assert parse_qs(urlsplit(outlook).query) == {
            "url": [feed],
            "name": ["I AM HAZARA & friends"],
        }
    assert feed in links(page)  # the plain address, to paste anywhere
    # The feed itself stays where it was, and the page's buttons are links with words.
    assert client.get(feed).status_code == 200
    assert "<h1>Subscribe to I AM HAZARA &amp; friends events</h1>" in page
    assert 'name="viewport"' in page


def test_filters_pass_through_to_the_feed(client, make_campaign):
    campaign = make_campaign()
    page = client.get(
        f"/c/{campaign.slug}/subscribe?country=pk&city=%20Quetta&venue_type=Mosque&x=1"
    ).get_data(as_text=True)
    feed = one_link(page, "webcal:")
    query = parse_qs(urlsplit(feed).query)
    assert query == {
        "country": ["PK"],
        "city": ["quetta"],
        "venue_type": ["mosque"],
        "lang": ["en"],
    }
    assert "match your search" in page


@pytest.mark.parametrize("query", ["?country=Britain", "?venue_type=pub"])
def test_a_bad_filter_gets_a_clear_400(client, make_campaign, query):
    campaign = make_campaign()
    response = client.get(f"/c/{campaign.slug}/subscribe{query}")
    assert response.status_code == 400
    assert "This calendar filter is not valid" in response.get_data(as_text=True)


def test_no_page_for_an_unknown_campaign(client):
    assert client.get("/c/no-such-campaign/subscribe").status_code == 404


def test_the_page_reads_right_to_left_in_persian(client, make_campaign):
    campaign = make_campaign()
    response = client.get(f"/c/{campaign.slug}/subscribe", headers={"Accept-Language": "fa"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fa" dir="rtl">' in page
    assert 'dir="ltr" class="feed-address"' in page  # the address reads left to right


def test_the_event_page_subscribes_through_the_page(client, make_event):
    event = make_event()
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert f'href="/c/{event.campaign.slug}/subscribe"' in page
