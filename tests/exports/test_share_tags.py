"""Every public page describes itself to link previews (Open Graph, Twitter, meta
description) with a share picture that loads; the invite link tells nothing of its group."""

import io
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from campaign.events.service import cancel_event
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.models import EventStatus
from tests.factories import volunteer

LOCALES = {"en": "en_GB", "fa": "fa_AF", "ur": "ur_PK"}


class _Head(HTMLParser):
    """The <meta> tags of a page's <head>, and the head's whole text."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, list[str]] = defaultdict(list)
        self.in_head = False
        self.head_source: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif self.in_head:
            self.head_source.append(str(attrs))
            key = attributes.get("property") or attributes.get("name")
            if tag == "meta" and key:
                self.meta[key].append(attributes.get("content") or "")

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False

    def handle_data(self, data):
        if self.in_head:
            self.head_source.append(data)


def head_of(response) -> _Head:
    parser = _Head()
    parser.feed(response.get_data(as_text=True))
    return parser


def one(head: _Head, key: str) -> str:
    values = head.meta.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    assert values[0].strip(), f"{key} is empty"
    return values[0]


def assert_complete(client, head: _Head, url: str, language: str = "en") -> None:
    """Every tag a preview needs, with content that matches the page."""
    assert one(head, "og:url") == url
    assert one(head, "og:type") == "website"
    for key in ("og:title", "og:site_name", "twitter:title", "og:image:alt"):
        one(head, key)
    assert one(head, "description") == one(head, "og:description")
    assert one(head, "twitter:description") == one(head, "og:description")
    assert one(head, "twitter:title") == one(head, "og:title")
    assert one(head, "twitter:card") == "summary_large_image"
    assert one(head, "og:locale") == LOCALES[language]
    assert sorted(head.meta["og:locale:alternate"]) == sorted(
        locale for code, locale in LOCALES.items() if code != language
    )
    assert one(head, "og:image:width") == "1200"
    assert one(head, "og:image:height") == "630"
    assert one(head, "og:image:type") == "image/png"
    image_url = one(head, "og:image")
    assert one(head, "twitter:image") == image_url
    assert image_url.startswith("http://localhost/")
    assert parse_qs(urlsplit(image_url).query)["lang"] == [language]
    # Fetched as a crawler does: no Accept-Language, so the language is in the URL.
    picture = client.get(image_url)
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert Image.open(io.BytesIO(picture.data)).size == (1200, 630)


def test_event_page(client, make_event):
    event = make_event(title="Vigil at the town hall")
    head = head_of(client.get(f"/e/{event.ref}"))
    assert_complete(client, head, f"http://localhost/e/{event.ref}")
    assert one(head, "og:title") == "Vigil at the town hall"
    assert one(head, "og:site_name") == event.campaign.name
    assert "Town Hall, London" in one(head, "og:description")
    assert f"/e/{event.ref}/share.png?" in one(head, "og:image")


def test_campaign_page(client, make_campaign):
    campaign = make_campaign(name="I AM HAZARA", description="Stand with the Hazara.\n\nMore.")
    head = head_of(client.get(f"/c/{campaign.slug}"))
    assert_complete(client, head, f"http://localhost/c/{campaign.slug}")
    assert one(head, "og:title") == "I AM HAZARA"
    assert one(head, "og:description") == "Stand with the Hazara."
    assert f"/c/{campaign.slug}/share.png?" in one(head, "og:image")


def test_join_page_the_poster_opens(client, make_event):
    event = make_event(title="Vigil at the town hall", min_group_size=4)
    head = head_of(client.get(f"/e/{event.ref}/join"))
    assert_complete(client, head, f"http://localhost/e/{event.ref}/join")
    assert one(head, "og:title") == "Join a group · Vigil at the town hall"
    assert "at least 4" in one(head, "og:description")
    assert f"/e/{event.ref}/share.png?" in one(head, "og:image")


def test_invite_page(client, make_event, make_group):
    event = make_event(title="Vigil at the town hall")
    group = make_group(event, size=2)
    head = head_of(client.get(f"/j/{group.join_code}"))
    assert_complete(client, head, f"http://localhost/j/{group.join_code}")
    assert one(head, "og:title") == "Join a group · Vigil at the town hall"
    assert one(head, "og:site_name") == event.campaign.name


def test_site_pages(client, make_campaign):
    make_campaign(), make_campaign()  # with one campaign, / redirects to it
    assert_complete(client, head_of(client.get("/")), "http://localhost/")
    assert_complete(client, head_of(client.get("/j")), "http://localhost/j")
    unknown = head_of(client.get("/j/AAAABBBB"))
    assert "og:title" not in unknown.meta and unknown.meta["robots"] == ["noindex"]


@pytest.mark.parametrize("language", ["fa", "ur"])
def test_tags_in_persian_and_urdu(client, make_event, language):
    event = make_event(title="من هزاره هستم")
    head = head_of(client.get(f"/e/{event.ref}", headers={"Accept-Language": language}))
    assert_complete(client, head, f"http://localhost/e/{event.ref}", language)
    english = head_of(client.get(f"/e/{event.ref}", headers={"Accept-Language": "en"}))
    assert one(head, "og:image") != one(english, "og:image")


def test_invite_reveals_no_member_name_contact_or_meeting_point(client, make_event):
    event = make_event(title="Vigil at the town hall")
    leader = groups.start_group(
        event, volunteer(display_name="Zarghuna Quillfeather", contact="+12015550987")
    )
    db.session.commit()
    group = leader.membership.group
    groups.join_group(
        group, volunteer(display_name="Bahram Ostrowski", contact="bahram@example.org")
    )
    groups.set_meeting(leader.membership, "Behind the blue kiosk Q7", None)
    groups.rename_group(leader.membership, "Tuesday Lantern Circle")
    db.session.commit()

    head = head_of(client.get(f"/j/{group.join_code}"))
    everything = " ".join(head.head_source) + " ".join(
        value for values in head.meta.values() for value in values
    )
    for secret in (
        "Zarghuna",
        "Quillfeather",
        "Bahram",
        "Ostrowski",
        "5550987",
        "bahram@example.org",
        "Behind the blue kiosk",
        "Q7",
        "Tuesday Lantern Circle",
    ):
        assert secret not in everything, secret
    # And what is shown is the event and its campaign only.
    assert "Vigil at the town hall" in one(head, "og:title")
    picture = client.get(one(head, "og:image"))
    assert picture.status_code == 200


def test_cancelled_event_previews_as_cancelled(client, make_event, make_group):
    event = make_event(title="Vigil at the town hall")
    group = make_group(event, size=1)
    cancel_event(event, event.organiser)
    db.session.commit()
    assert event.status is EventStatus.CANCELLED
    for url in (f"/e/{event.ref}", f"/e/{event.ref}/join", f"/j/{group.join_code}"):
        head = head_of(client.get(url))
        assert "CANCELLED: Vigil at the town hall" in one(head, "og:title"), url
        assert "cancelled" in one(head, "og:description"), url
        assert "CANCELLED: Vigil at the town hall" in one(head, "og:image:alt"), url

    persian = head_of(client.get(f"/e/{event.ref}", headers={"Accept-Language": "fa"}))
    assert one(persian, "og:title").startswith("لغو شد")


def test_a_changed_event_gets_a_new_picture_url(client, make_event):
    """Messengers keep a picture by its URL: an edit must change it."""
    event = make_event(title="Vigil at the town hall")
    before = one(head_of(client.get(f"/e/{event.ref}")), "og:image")
    cancel_event(event, event.organiser)
    db.session.commit()
    after = one(head_of(client.get(f"/e/{event.ref}")), "og:image")
    assert before != after
