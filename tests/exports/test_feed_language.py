"""Calendar files in the reader's language, and their ETags.

Calendar servers (Google's, Microsoft's, a phone's calendar app) fetch a subscribed feed
with no cookie and no Accept-Language, so every subscriber read English ("This event is
cancelled. Do not go."). The pages put the reader's language in every calendar URL they
hand out (``?lang=fa``), and every calendar file honours it; a URL without one is read as
before. The single event's file and a member's file have an ETag (304 on If-None-Match)
that moves with whatever they show.
"""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar

from campaign.events.service import cancel_event, update_event
from campaign.extensions import db
from campaign.groups import service
from campaign.models import EventStatus
from tests.factories import event_details, volunteer
from tests.helpers import count_queries

#: How a calendar server asks: nothing about the reader at all.
NO_READER = {"Accept-Language": "", "Cookie": ""}
CANCELLED_FA = "این برنامه لغو شده است. نروید."
CANCELLED_UR = "یہ ایونٹ منسوخ ہو گیا ہے۔ نہ جائیں۔"


def vevent(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    (found,) = Calendar.from_ical(response.data).walk("VEVENT")
    return found


def hrefs(page: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


def lang_of(url: str) -> list[str] | None:
    return parse_qs(urlsplit(url).query).get("lang")


@pytest.fixture
def cancelled(make_campaign, make_event):
    """A cancelled event alone in its campaign, and a member of one of its groups."""
    event = make_event(campaign=make_campaign(languages=["en", "fa", "ur"]))
    joined = service.start_group(event, volunteer())
    db.session.commit()
    cancel_event(event, event.organiser)
    db.session.commit()
    return event, joined.token


def urls(event, token) -> dict[str, str]:
    return {
        "event": f"/e/{event.ref}/calendar.ics",
        "campaign": f"/c/{event.campaign.slug}/calendar.ics",
        "member": f"/me/{token}/calendar.ics",
    }


# --- every calendar file honours ?lang= -----------------------------------------------------


@pytest.mark.parametrize("kind", ["event", "campaign", "member"])
def test_a_calendar_server_gets_the_language_of_the_url(client, cancelled, kind):
    event, token = cancelled
    url = urls(event, token)[kind]
    persian = vevent(client.get(f"{url}?lang=fa", headers=NO_READER))
    assert str(persian["SUMMARY"]).startswith(f"لغو شد: {event.title}")
    assert str(persian["DESCRIPTION"]).startswith(CANCELLED_FA)
    urdu = vevent(client.get(f"{url}?lang=ur", headers=NO_READER))
    assert str(urdu["DESCRIPTION"]).startswith(CANCELLED_UR)
    # The URL's language wins over the switcher's cookie and Accept-Language.
    client.get("/language/fa")
    chosen = vevent(client.get(f"{url}?lang=ur", headers={"Accept-Language": "fa"}))
    assert str(chosen["DESCRIPTION"]).startswith(CANCELLED_UR)


@pytest.mark.parametrize("kind", ["event", "campaign", "member"])
def test_a_url_without_a_language_reads_as_before(client, cancelled, kind):
    event, token = cancelled
    url = urls(event, token)[kind]
    english = client.get(url, headers=NO_READER)
    assert str(vevent(english)["DESCRIPTION"]).startswith("This event is cancelled. Do not go.")
    by_browser = client.get(url, headers={"Accept-Language": "fa"})
    assert str(vevent(by_browser)["DESCRIPTION"]).startswith(CANCELLED_FA)
    # A language this site does not offer (an old URL in a calendar) is no error either.
    unknown = client.get(f"{url}?lang=xx", headers={"Accept-Language": "ur"})
    assert str(vevent(unknown)["DESCRIPTION"]).startswith(CANCELLED_UR)
    assert client.get(f"{url}?lang=en", headers=NO_READER).data == english.data


@pytest.mark.parametrize("kind", ["event", "campaign", "member"])
def test_each_language_has_its_own_etag(client, cancelled, kind):
    event, token = cancelled
    url = urls(event, token)[kind]
    etags = {
        lang: client.get(f"{url}?lang={lang}", headers=NO_READER).headers["ETag"]
        for lang in ("en", "fa", "ur")
    }
    assert len(set(etags.values())) == 3, etags
    assert client.get(url, headers=NO_READER).headers["ETag"] == etags["en"]
    # A Persian copy is never "not modified" for an Urdu URL.
    asked = {"If-None-Match": etags["fa"], **NO_READER}
    assert client.get(f"{url}?lang=ur", headers=asked).status_code == 200
    assert client.get(f"{url}?lang=fa", headers=asked).status_code == 304


def test_the_fast_path_keeps_each_language_apart(client, cancelled):
    """The fast path answers polls from the copies this worker built: a copy built in
    English (no lang, no headers) must never answer a Persian URL."""
    event, _token = cancelled
    url = f"/c/{event.campaign.slug}/calendar.ics"
    english = client.get(url, headers=NO_READER)
    with count_queries() as statements:
        assert client.get(url, headers=NO_READER).data == english.data
    assert statements == []  # answered from the copy, before Flask
    persian = client.get(f"{url}?lang=fa", headers=NO_READER)
    assert CANCELLED_FA.encode() not in english.data
    assert str(vevent(persian)["DESCRIPTION"]).startswith(CANCELLED_FA)
    with count_queries() as statements:
        again = client.get(f"{url}?lang=fa", headers=NO_READER)
    assert statements == [] and again.data == persian.data


# --- the pages hand out URLs with the reader's language --------------------------------------


def test_the_event_page_hands_out_its_language(client, make_event):
    event = make_event()
    page = client.get(f"/e/{event.ref}", headers={"Accept-Language": "fa"}).get_data(as_text=True)
    ics = [link for link in hrefs(page) if "/calendar.ics" in link]
    assert ics == [f"/e/{event.ref}/calendar.ics?lang=fa"]
    # The subscribe page it leads to is in the reader's language, and so is every feed
    # address on it: the calendar app's, Google's, Outlook's, Microsoft 365's, the plain one.
    client.get("/language/ur")
    page = client.get(f"/c/{event.campaign.slug}/subscribe").get_data(as_text=True)
    feeds = [link for link in hrefs(page) if "calendar" in link and "ics" in link]
    assert len(feeds) == 5, feeds
    for link in feeds:
        query = parse_qs(urlsplit(link).query)
        inner = query.get("cid") or query.get("url") or [link]
        assert lang_of(inner[0]) == ["ur"], link


def test_the_member_page_hands_out_its_language(client, make_event):
    joined = service.start_group(make_event(), volunteer())
    db.session.commit()
    client.get("/language/fa")
    page = client.get(f"/me/{joined.token}").get_data(as_text=True)
    feeds = [link for link in hrefs(page) if "/calendar.ics" in link]
    assert sorted(feeds) == sorted(
        [
            f"/me/{joined.token}/calendar.ics?lang=fa",
            f"webcal://localhost/me/{joined.token}/calendar.ics?lang=fa",
        ]
    )
    # Followed by a calendar server, the address gives Persian.
    followed = client.get(f"/me/{joined.token}/calendar.ics?lang=fa", headers=NO_READER)
    assert "گروه" in str(vevent(followed)["DESCRIPTION"])


# --- ETags of the single event's file and a member's file -------------------------------------


def conditional(client, url: str):
    first = client.get(url, headers=NO_READER)
    etag = first.headers.get("ETag")
    assert etag, "no ETag"
    again = client.get(url, headers={"If-None-Match": etag, **NO_READER})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    return first


def test_the_event_file_has_an_etag_that_moves_with_the_event(client, make_event):
    event = make_event()
    url = f"/e/{event.ref}/calendar.ics?lang=en"
    first = conditional(client, url)
    assert client.get(url, headers=NO_READER).data == first.data  # the same bytes each time
    assert first.headers["Cache-Control"] == "no-cache"
    update_event(event, event.organiser, event_details(title="Moved to the square"))
    db.session.commit()
    asked = {"If-None-Match": first.headers["ETag"], **NO_READER}
    edited = client.get(url, headers=asked)
    assert edited.status_code == 200 and b"Moved to the square" in edited.data
    assert edited.headers["ETag"] != first.headers["ETag"]
    conditional(client, url)


def test_the_campaigns_pledge_moves_the_event_files_etag(client, make_event):
    event = make_event()
    url = f"/e/{event.ref}/calendar.ics"
    first = conditional(client, url)
    event.campaign.pledge = "Be kind. Stay together."
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"], **NO_READER})
    assert changed.status_code == 200 and b"Be kind. Stay together." in changed.data


def test_the_member_file_has_an_etag_that_moves_with_the_group(client, make_event):
    event = make_event(min_group_size=3)
    leader = service.start_group(event, volunteer())
    db.session.commit()
    url = f"/me/{leader.token}/calendar.ics?lang=fa"
    seen = [conditional(client, url)]
    assert seen[0].headers["Cache-Control"] == "no-store"  # personal: never kept by caches

    def changes():
        service.join_group(leader.membership.group, volunteer())  # a member more
        yield
        service.set_meeting(leader.membership, "Behind the red kiosk", None)
        yield
        update_event(event, event.organiser, event_details(title="Moved to the square"))
        yield

    for _change in changes():
        db.session.commit()
        before = seen[-1].headers["ETag"]
        response = client.get(url, headers={"If-None-Match": before, **NO_READER})
        assert response.status_code == 200
        assert response.headers["ETag"] not in [r.headers["ETag"] for r in seen]
        seen.append(response)
        conditional(client, url)


def test_a_cancelled_member_file_is_not_answered_from_the_old_copy(client, make_event):
    event = make_event()
    joined = service.start_group(event, volunteer())
    db.session.commit()
    url = f"/me/{joined.token}/calendar.ics"
    first = conditional(client, url)
    cancel_event(event, event.organiser)
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    assert str(vevent(response)["STATUS"]) == "CANCELLED"
    assert event.status is EventStatus.CANCELLED
