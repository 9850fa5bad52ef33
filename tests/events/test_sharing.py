"""Event pages carry their own preview for messengers and social sites, and a share button."""

from html import unescape

from campaign.models import EventStatus


def meta(page: str, key: str) -> str:
    marker = f'property="{key}" content="' if key.startswith("og:") else f'name="{key}" content="'
    start = page.index(marker) + len(marker)
    return unescape(page[start : page.index('"', start)])


def test_open_graph_and_twitter_tags(client, make_event):
    event = make_event(title="I AM HAZARA at the town hall", timezone="Europe/London")
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert meta(page, "og:title") == "I AM HAZARA at the town hall"
    assert meta(page, "og:url") == f"http://localhost/e/{event.ref}"
    description = meta(page, "og:description")
    local = event.starts_at.astimezone(event.zone)
    assert f"{local:%H:%M}" in description and "Europe/London" in description
    assert "London" in description
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:title") == "I AM HAZARA at the town hall"
    assert f'data-share-url="http://localhost/e/{event.ref}"' in page


def test_hidden_events_are_not_described_to_crawlers(client, signed_in, make_event):
    event = make_event(status=EventStatus.DRAFT)
    signed_in(event.organiser)
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "og:title" not in page
    assert '<meta name="robots" content="noindex">' in page
