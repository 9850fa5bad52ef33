import re
from datetime import UTC, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import Event, EventStatus, VenueType, utcnow
from tests.events.test_service import _next_spring_forward_in_london
from tests.helpers import count_queries, csrf_token, event_form, local_input


def _start():
    return (utcnow() + timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)


def _form(client, campaign, **overrides):
    start = _start()
    fields = event_form(campaign.id, start, start + timedelta(hours=2), **overrides)
    return {"csrf_token": csrf_token(client, "/organise/events/new"), **fields}


def _event_count():
    return db.session.scalar(select(func.count(Event.id)))


def test_organiser_creates_a_draft_event(client, signed_in, make_organiser, make_campaign):
    campaign = make_campaign()
    signed_in(make_organiser())
    response = client.post("/organise/events/new", data=_form(client, campaign))
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(Event))
    assert response.headers["Location"] == f"/e/{event.ref}"
    assert event.status is EventStatus.DRAFT
    assert event.venue_type is VenueType.GOVERNMENT_ASSEMBLY
    # 10:00 in Berlin is 09:00 UTC in winter and 08:00 in summer.
    offset = event.zone.utcoffset(_start())
    assert event.starts_at == (_start() - offset).replace(tzinfo=UTC)
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "10:00" in page and "Europe/Berlin" in page


def test_new_event_form_offers_campaign_defaults(client, signed_in, make_organiser, make_campaign):
    make_campaign(default_min_group_size=4, default_max_group_size=6)
    signed_in(make_organiser())
    page = client.get("/organise/events/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="min_group_size"[^>]*value="4"', page)
    assert re.search(r'<input[^>]*id="max_group_size"[^>]*value="6"', page)
    assert 'data-browser-zone="1"' in page


def _too_long(n):
    return "x" * n


BAD_INPUTS = [
    ({"title": ""}, "title", "This field is required."),
    ({"title": _too_long(121)}, "title", "between 3 and 120 characters"),
    ({"venue_type": "castle"}, "venue_type", "Not a valid choice."),
    ({"venue_name": ""}, "venue_name", "This field is required."),
    ({"city": ""}, "city", "This field is required."),
    ({"country": "XX"}, "country", "Not a valid choice."),
    ({"country": ""}, "country", "This field is required."),
    ({"latitude": "91"}, "latitude", "Latitude is between -90 and 90."),
    ({"longitude": "-180.5"}, "longitude", "Longitude is between -180 and 180."),
    ({"latitude": "nan"}, "latitude", "Latitude is between -90 and 90."),
    ({"latitude": "north"}, "latitude", "Not a valid float value."),
    ({"longitude": ""}, "longitude", "Give both latitude and longitude, or neither."),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice."),
    ({"local_start": "tomorrow"}, "local_start", "Not a valid datetime value."),
    ({"local_start": ""}, "local_start", "This field is required."),
    (
        {"local_start": "2001-01-01T10:00", "local_end": "2001-01-01T12:00"},
        "local_start",
        "The start must be in the future.",
    ),
    (
        {"local_start": "9999-12-31T23:00", "local_end": "9999-12-31T23:59"},
        "local_start",
        "The start can be at most",
    ),
    ({"local_end": "<start>"}, "local_end", "The end must be after the start."),
    (
        {"local_signup_deadline": "<after start>"},
        "local_signup_deadline",
        "The sign-up deadline must be before the start.",
    ),
    ({"min_group_size": "2"}, "min_group_size", "Groups need at least 3 people"),
    ({"min_group_size": "three"}, "min_group_size", "Not a valid integer value."),
    (
        {"min_group_size": "9", "max_group_size": "8"},
        "max_group_size",
        "The maximum cannot be below the minimum group size.",
    ),
    ({"max_group_size": "10000000000000000000000"}, "max_group_size", "at most 50 people"),
    ({"description": _too_long(5001)}, "description", "Field cannot be longer than 5000"),
    ({"campaign": "999999"}, "campaign", "Not a valid choice."),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    BAD_INPUTS,
    ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD_INPUTS)],
)
def test_bad_event_input_is_refused_beside_its_field(
    client, signed_in, make_organiser, make_campaign, overrides, field, message
):
    campaign = make_campaign()
    signed_in(make_organiser())
    data = _form(client, campaign)
    if overrides.get("local_end") == "<start>":
        overrides = {"local_end": data["local_start"]}
    if overrides.get("local_signup_deadline") == "<after start>":
        overrides = {"local_signup_deadline": data["local_end"]}
    data.update(overrides)
    response = client.post("/organise/events/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    error_line = page.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert message.replace("'", "&#39;") in error_line
    assert 'aria-invalid="true"' in page
    if field != "venue_name":
        assert 'value="Reichstag building"' in page  # what was typed is kept
    assert _event_count() == 0


def test_a_time_skipped_by_the_clocks_is_refused(client, signed_in, make_organiser, make_campaign):
    campaign = make_campaign()
    signed_in(make_organiser())
    gap = _next_spring_forward_in_london()
    data = _form(
        client,
        campaign,
        country="GB",
        timezone="Europe/London",
        local_start=local_input(gap),
        local_end=local_input(gap + timedelta(hours=3)),
    )
    page = client.post("/organise/events/new", data=data).get_data(as_text=True)
    assert "This time does not exist in the chosen time zone" in page
    assert _event_count() == 0


def test_posting_without_csrf_token_stores_nothing(
    client, signed_in, make_organiser, make_campaign
):
    campaign = make_campaign()
    signed_in(make_organiser())
    data = _form(client, campaign)
    del data["csrf_token"]
    assert client.post("/organise/events/new", data=data).status_code == 400
    assert _event_count() == 0


def test_public_sees_only_published_events(client, make_event):
    hidden = [
        make_event(status=s, title=f"Hidden {s.value}")
        for s in (EventStatus.DRAFT, EventStatus.PENDING)
    ]
    shown = make_event(campaign=hidden[0].campaign, title="Shown event")
    for event in hidden:
        assert client.get(f"/e/{event.ref}").status_code == 404
    assert client.get(f"/e/{shown.ref}").status_code == 200
    listing = client.get(f"/c/{shown.campaign.slug}").get_data(as_text=True)
    assert "Shown event" in listing
    assert "Hidden" not in listing


def test_a_cancelled_event_says_so_and_leaves_the_listing(client, make_event):
    event = make_event(status=EventStatus.CANCELLED, title="Called off")
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "This event is cancelled. Do not go." in page
    assert "Called off" not in client.get(f"/c/{event.campaign.slug}").get_data(as_text=True)


def test_a_draft_that_was_cancelled_stays_hidden(client, make_event):
    event = make_event(status=EventStatus.DRAFT)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert client.get(f"/e/{event.ref}").status_code == 404


def test_owner_previews_an_unpublished_event(client, signed_in, make_event):
    event = make_event(status=EventStatus.DRAFT)
    signed_in(event.organiser)
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "the event is not public" in page
    assert "Submit for review" in page


def test_another_organiser_cannot_edit_or_cancel(client, signed_in, make_event, make_organiser):
    event = make_event(status=EventStatus.DRAFT, title="Mine")
    signed_in(make_organiser())
    assert client.get(f"/organise/events/{event.ref}/edit").status_code == 404
    data = _form(client, event.campaign, title="Taken over")
    assert client.post(f"/organise/events/{event.ref}/edit", data=data).status_code == 404
    token = csrf_token(client, "/organise")
    for action in ("submit", "cancel", "publish"):
        response = client.post(f"/organise/events/{event.ref}/{action}", data={"csrf_token": token})
        assert response.status_code == 404
    assert client.get(f"/e/{event.ref}").status_code == 404
    db.session.refresh(event)
    assert event.title == "Mine" and event.status is EventStatus.DRAFT


def _same_place_and_time(event) -> dict:
    local = event.local_start.replace(tzinfo=None)
    return {
        "venue_type": event.venue_type.value,
        "venue_name": event.venue_name,
        "address": event.address,
        "city": event.city,
        "country": event.country,
        "latitude": "",
        "longitude": "",
        "timezone": event.timezone,
        "local_start": local_input(local),
        "local_end": local_input(local + timedelta(hours=2)),
    }


def test_owner_edits_a_published_event_and_its_revision_goes_up(client, signed_in, make_event):
    event = make_event(title="Before")
    signed_in(event.organiser)
    page = client.get(f"/organise/events/{event.ref}/edit").get_data(as_text=True)
    assert "Before" in page
    assert "only an admin can change them" in page
    data = _form(client, event.campaign, title="After", **_same_place_and_time(event))
    response = client.post(f"/organise/events/{event.ref}/edit", data=data)
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.title == "After"
    assert event.revision == 1
    assert event.status is EventStatus.PUBLISHED


def test_owner_cannot_move_a_published_event_but_the_admin_can(client, signed_in, make_event):
    event = make_event()
    signed_in(event.organiser)
    page = client.get(f"/organise/events/{event.ref}/edit").get_data(as_text=True)
    # Place and time are shown as text with who to ask, not as fields that would be refused.
    assert "ask an admin of this campaign" in page
    for locked in ('name="address"', 'name="timezone"', 'name="local_start"'):
        assert locked not in page, locked
    assert "1 Main Street" in page and 'name="title"' in page
    moved = {**_same_place_and_time(event), "address": "Behind the station, gate 4"}
    data = _form(client, event.campaign, title="A clearer title", **moved)
    response = client.post(f"/organise/events/{event.ref}/edit", data=data)
    assert response.status_code == 302  # the rest of the form saves
    db.session.refresh(event)
    assert event.title == "A clearer title"
    assert event.address == "1 Main Street"  # what was sent for the place is not used
    signed_in(event.campaign.admins[0])
    admin_page = client.get(f"/organise/events/{event.ref}/edit").get_data(as_text=True)
    assert 'name="address"' in admin_page
    response = client.post(
        f"/organise/events/{event.ref}/edit", data=_form(client, event.campaign, **moved)
    )
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.address == "Behind the station, gate 4" and event.revision == 2


def test_submit_review_and_publish_through_the_pages(client, app, signed_in, make_event):
    event = make_event(status=EventStatus.DRAFT, title="Needs a review")
    owner_client = signed_in(event.organiser)
    token = csrf_token(owner_client, "/organise")
    assert (
        owner_client.post(
            f"/organise/events/{event.ref}/submit", data={"csrf_token": token}
        ).status_code
        == 302
    )
    # The organiser cannot publish their own event.
    owner_client.post(f"/organise/events/{event.ref}/publish", data={"csrf_token": token})
    db.session.refresh(event)
    assert event.status is EventStatus.PENDING

    admin_client = app.test_client()
    from tests.helpers import sign_in

    sign_in(admin_client, event.campaign.admins[0].email)
    queue = admin_client.get("/organise/review").get_data(as_text=True)
    assert "Needs a review" in queue
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', queue).group(1)
    token = csrf_token(admin_client, "/organise/review")
    publish = {"csrf_token": token, "back": "review", "seen": seen}
    # The organiser moves the event while the admin reads the queue: publishing is refused.
    moved = {**_same_place_and_time(event), "address": "Behind the station"}
    data = _form(owner_client, event.campaign, title="Needs a review", **moved)
    assert owner_client.post(f"/organise/events/{event.ref}/edit", data=data).status_code == 302
    response = admin_client.post(f"/organise/events/{event.ref}/publish", data=publish)
    db.session.refresh(event)
    assert event.status is EventStatus.PENDING
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event changed while you were reading it" in page
    assert "Behind the station" in page
    # Read again, published.
    publish["seen"] = re.search(r'name="seen" value="([0-9a-f]+)"', page).group(1)
    response = admin_client.post(f"/organise/events/{event.ref}/publish", data=publish)
    assert response.headers["Location"] == "/organise/review"
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED
    assert client.get(f"/e/{event.ref}").status_code == 200


def test_review_queue_shows_only_campaigns_one_administers(
    client, signed_in, make_event, make_campaign, make_organiser
):
    campaign_admin = make_organiser()
    mine = make_campaign(admin=make_organiser(is_admin=True), admin_emails=[campaign_admin.email])
    make_event(campaign=mine, status=EventStatus.PENDING, title="In my campaign")
    make_event(status=EventStatus.PENDING, title="Someone else's campaign")
    signed_in(campaign_admin)
    queue = client.get("/organise/review").get_data(as_text=True)
    assert "In my campaign" in queue
    assert "Someone else" not in queue


def test_dashboard_lists_my_events_with_status(client, signed_in, make_event):
    event = make_event(status=EventStatus.PENDING, title="Waiting one")
    signed_in(event.organiser)
    page = client.get("/organise").get_data(as_text=True)
    assert "Waiting one" in page and "Waiting for review" in page


def _add_published_events(campaign, organiser, count):
    start = utcnow() + timedelta(days=3)
    db.session.add_all(
        Event(
            campaign=campaign,
            organiser=organiser,
            title=f"Event {i}",
            venue_type=list(VenueType)[i % len(VenueType)],
            venue_name="Square",
            city="Town",
            country="GB",
            timezone="Europe/London",
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i + 2),
            status=EventStatus.PUBLISHED,
            published_at=utcnow(),
        )
        for i in range(count)
    )
    db.session.commit()


def test_campaign_page_runs_the_same_number_of_queries_for_3_or_300_events(
    client, make_campaign, make_organiser
):
    small, large = make_campaign(), make_campaign()
    organiser = make_organiser()
    _add_published_events(small, organiser, 3)
    _add_published_events(large, organiser, 300)
    with count_queries() as few:
        assert client.get(f"/c/{small.slug}").status_code == 200
    with count_queries() as many:
        page = client.get(f"/c/{large.slug}").get_data(as_text=True)
    assert page.count('class="card"') == 20  # the first page of 300
    assert "Page 1 of 15" in page
    assert len(few) == len(many)


def test_index_goes_to_the_only_campaign_or_lists_them(client, make_campaign):
    only = make_campaign()
    assert client.get("/").headers["Location"] == f"/c/{only.slug}"
    make_campaign(name="Second campaign")
    assert "Second campaign" in client.get("/").get_data(as_text=True)


def test_unknown_pages_are_404_not_500(client, app):
    assert client.get("/e/nope").status_code == 404
    assert client.get("/c/nope").status_code == 404
    assert client.post("/organise/events/nope/explode").status_code in (404, 405)


def test_admins_review_text_changed_after_publication(client, signed_in, make_event):
    event = make_event(title="Vigil at the town hall", description="Stand with us.")
    signed_in(event.organiser)
    changed = {**_same_place_and_time(event), "description": "Come to the back entrance."}
    data = _form(client, event.campaign, title="Vigil at the town hall", **changed)
    assert client.post(f"/organise/events/{event.ref}/edit", data=data).status_code == 302
    page = client.get(f"/e/{event.ref}").get_data(as_text=True)
    assert "will read the changed text again" in page
    signed_in(event.campaign.admins[0])
    queue = client.get("/organise/review").get_data(as_text=True)
    assert "Changed since you published them" in queue
    assert "Stand with us." in queue and "Come to the back entrance." in queue
    assert "1 event waiting for review" in client.get("/organise").get_data(as_text=True)
    token = csrf_token(client, "/organise/review")
    response = client.post(
        f"/organise/events/{event.ref}/accept", data={"csrf_token": token, "back": "review"}
    )
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.changed_since_review_at is None
    assert "Changed since you published them" not in client.get("/organise/review").get_data(
        as_text=True
    )


class _FormValues(HTMLParser):
    """The values a browser would post back from the page's event form, unchanged."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") != "submit":
            self.values[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self.values)
        ):
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _form_as_shown(client, url: str) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(client.get(url).get_data(as_text=True))
    values = parser.values
    if values.get("description", "").startswith("\n"):  # the newline after <textarea>
        values["description"] = values["description"][1:]
    return values


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_edit_form_posted_back_unchanged_changes_nothing(
    client, signed_in, make_event, language
):
    event = make_event(
        timezone="Asia/Kabul",
        latitude=0.1 + 0.2,
        longitude=1e-05,
        address="",
        venue_type=VenueType.MOSQUE,
        description="Line one.\nLine two, with a comma; and a semicolon.",
    )
    signed_in(event.campaign.admins[0])  # an admin sees every field (place and time too)
    client.get(f"/language/{language}")
    url = f"/organise/events/{event.ref}/edit"
    assert f'lang="{language}"' in client.get(url).get_data(as_text=True)
    values = _form_as_shown(client, url)
    assert values["timezone"] == "Asia/Kabul" and values["venue_type"] == "mosque"
    response = client.post(url, data=values)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.refresh(event)
    assert event.revision == 0 and event.changed_since_review_at is None
    assert event.latitude == 0.1 + 0.2 and event.longitude == 1e-05
