"""Posters are made once per event revision and language (and host), then served from
this worker's memory; a client can ask for only so many new ones."""

import pytest

from campaign.events.service import update_event
from campaign.exports import views
from campaign.extensions import db
from tests.factories import event_details


@pytest.fixture
def posters_made(monkeypatch):
    made = []
    real = views.event_poster_pdf

    def counted(text, font_dir):
        made.append(text.title)
        return real(text, font_dir)

    monkeypatch.setattr(views, "event_poster_pdf", counted)
    return made


def test_same_revision_is_made_once_and_an_edit_makes_it_again(client, make_event, posters_made):
    event = make_event(title="Vigil at the town hall")
    url = f"/e/{event.ref}/poster.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert client.get(url).data == first.data
    assert len(posters_made) == 1

    persian = client.get(url, headers={"Accept-Language": "fa"})
    assert persian.status_code == 200 and persian.data != first.data
    assert len(posters_made) == 2

    revision = event.revision
    organiser = event.organiser
    update_event(event, organiser, event_details(title="Vigil at the parliament"))
    db.session.commit()
    assert event.revision == revision + 1
    edited = client.get(url)
    assert edited.status_code == 200 and edited.data != first.data
    assert posters_made[-1] == "Vigil at the parliament"
    assert len(posters_made) == 3
    assert client.get(url).data == edited.data
    assert len(posters_made) == 3


def test_new_posters_are_limited_per_client(app, client, make_campaign, make_event, posters_made):
    app.config["RATELIMIT_POSTER_BUILD"] = "2 per minute"
    campaign = make_campaign()
    events = [make_event(campaign=campaign) for _ in range(3)]
    statuses = [client.get(f"/e/{e.ref}/poster.pdf").status_code for e in events]
    assert statuses == [200, 200, 429]
    refused = client.get(f"/e/{events[2].ref}/poster.pdf")
    assert refused.headers["Retry-After"] == "60"
    assert "Too many new posters" in refused.get_data(as_text=True)
    assert client.get(f"/e/{events[0].ref}/poster.pdf").status_code == 200  # made: served
    assert len(posters_made) == 2
