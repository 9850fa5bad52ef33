"""The event form's time zone follows the country (issue 16): only current zone names,
grouped by country with their offsets, the chosen country's first, and a zone that is not
the country's is sent back with a warning instead of being saved."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from campaign.extensions import db
from campaign.models import Event, EventStatus, utcnow
from campaign.zones import (
    canonical_zones,
    clock_of,
    format_utc_offset,
    only_zone_of,
    zone_fits_country,
    zone_option_label,
    zones_of,
)
from tests.helpers import csrf_token, event_form

# --- which zones belong to which country (tzdb's zone.tab, from the tzdata package) -------


def test_a_country_has_its_zones_west_to_east():
    assert zones_of("PK") == ("Asia/Karachi",)
    assert only_zone_of("PK") == "Asia/Karachi"
    us = zones_of("US")
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"} <= set(us)
    assert us.index("Pacific/Honolulu") < us.index("America/Los_Angeles")
    assert us.index("America/Los_Angeles") < us.index("America/New_York")
    assert only_zone_of("US") is None
    assert zones_of("BV") == ()  # Bouvet Island: tzdb gives it no zone


def test_only_current_names_are_offered():
    zones = canonical_zones()
    assert {"Asia/Kolkata", "Europe/Kyiv", "Asia/Karachi", "Europe/London"} <= zones
    assert not {"US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Etc/GMT+5"} & zones
    assert 300 < len(zones) < 500  # not the ~600 names zoneinfo knows


def test_a_zone_fits_a_country_when_it_keeps_its_clock():
    assert zone_fits_country("Asia/Karachi", "PK")
    assert not zone_fits_country("Europe/London", "PK")
    assert not zone_fits_country("UTC", "GB")
    # An old alias counts as the zone it names; so does a zone that keeps the same clock.
    assert clock_of("Asia/Calcutta") == "Asia/Kolkata"
    assert zone_fits_country("Asia/Calcutta", "IN")
    assert zone_fits_country("Europe/Berlin", "NO")  # Europe/Oslo is a link to it
    assert zone_fits_country("Europe/London", "BV")  # no zone of its own: any will do


def test_offsets_are_written_with_a_true_minus_sign():
    assert format_utc_offset(330) == "UTC+05:30"
    assert format_utc_offset(-210) == "UTC\u221203:30"
    assert format_utc_offset(0) == "UTC+00:00"


# --- the form -------------------------------------------------------------------------------


def _start():
    return (utcnow() + timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)


def _form(client, campaign, **overrides):
    start = _start().replace(tzinfo=None)
    fields = event_form(campaign.id, start, start + timedelta(hours=2), **overrides)
    return {"csrf_token": csrf_token(client, "/organise/events/new"), **fields}


def _event_count():
    return db.session.scalar(select(func.count(Event.id)))


def _groups(page: str) -> list[str]:
    """The country codes of the zone select's <optgroup>s, in order."""
    select_html = re.search(r'<select[^>]*id="timezone".*?</select>', page, re.S).group(0)
    return re.findall(r'<optgroup data-country="(\w*)" label="[^"]*">', select_html)


def _selected_zone(page: str) -> str | None:
    select_html = re.search(r'<select[^>]*id="timezone".*?</select>', page, re.S).group(0)
    found = re.findall(r'<option selected value="([^"]*)"', select_html)
    assert len(found) <= 1, found
    return found[0] if found else None


def test_zones_are_grouped_by_country_with_their_offsets(
    client, signed_in, make_organiser, make_campaign
):
    make_campaign()
    signed_in(make_organiser())
    page = client.get("/organise/events/new").get_data(as_text=True)
    groups = _groups(page)
    assert len(groups) > 200 and len(groups) == len(set(groups))
    assert '<optgroup data-country="PK" label="Pakistan">' in page
    assert '<option value="Asia/Kolkata">Asia/Kolkata (UTC+05:30)</option>' in page
    assert 'value="Asia/Calcutta"' not in page and 'value="US/Eastern"' not in page
    # No zone is chosen for the organiser: not UTC, not the server's own.
    assert _selected_zone(page) == ""


def test_a_country_in_the_address_puts_its_zones_first_and_its_only_zone_chosen(
    client, signed_in, make_organiser, make_campaign
):
    make_campaign()
    signed_in(make_organiser())
    page = client.get("/organise/events/new?country=PK").get_data(as_text=True)
    assert _groups(page)[0] == "PK"
    assert _selected_zone(page) == "Asia/Karachi"
    page = client.get("/organise/events/new?country=US").get_data(as_text=True)
    assert _groups(page)[0] == "US"
    assert _selected_zone(page) == ""  # several zones: the organiser chooses


def test_without_javascript_the_country_button_shows_its_zones_and_saves_nothing(
    client, signed_in, make_organiser, make_campaign
):
    campaign = make_campaign()
    signed_in(make_organiser())
    data = _form(client, campaign, country="PK", timezone="", show_zones="1")
    response = client.post("/organise/events/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _groups(page)[0] == "PK"
    assert _selected_zone(page) == "Asia/Karachi"
    assert 'class="error"' not in page  # nothing was checked yet
    assert 'value="I AM HAZARA at the Reichstag"' in page  # what was typed is kept
    assert _event_count() == 0


def test_a_zone_not_of_the_country_is_sent_back_with_a_warning(
    client, signed_in, make_organiser, make_campaign
):
    """A browser in London, an event in Pakistan: never saved silently 5 hours off."""
    campaign = make_campaign()
    signed_in(make_organiser())
    data = _form(client, campaign, country="PK", city="Quetta", timezone="Europe/London")
    response = client.post("/organise/events/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _event_count() == 0
    error = re.search(r'<p class="error" id="timezone-error">(.*?)</p>', page, re.S).group(1)
    # Zone names kept left to right inside a right-to-left sentence (FSI ... PDI).
    london, karachi = "\u2068Europe/London\u2069", "\u2068Asia/Karachi\u2069"
    assert f"{london} is not the time zone of Pakistan, which is {karachi}." in error
    assert 'aria-invalid="true"' in re.search(r'<select[^>]*id="timezone"[^>]*>', page).group(0)
    assert _groups(page)[0] == "PK"  # its zones first, to choose from
    assert _selected_zone(page) == "Europe/London"  # what was chosen stays shown
    assert 'name="zone_confirmed" value="PK Europe/London"' in page


def test_a_country_with_several_zones_names_none_in_the_warning(
    client, signed_in, make_organiser, make_campaign
):
    campaign = make_campaign()
    signed_in(make_organiser())
    data = _form(client, campaign, country="US", city="Chicago", timezone="Europe/London")
    page = client.post("/organise/events/new", data=data).get_data(as_text=True)
    assert "\u2068Europe/London\u2069 is not a time zone of United States" in page
    assert _event_count() == 0


def test_the_organiser_can_confirm_that_zone_and_only_that_zone(
    client, signed_in, make_organiser, make_campaign
):
    campaign = make_campaign()
    signed_in(make_organiser())
    other = _form(client, campaign, country="PK", timezone="Europe/Paris")
    other["zone_confirmed"] = "PK Europe/London"  # ticked for another zone, then changed
    assert client.post("/organise/events/new", data=other).status_code == 200
    assert _event_count() == 0

    data = _form(client, campaign, country="PK", timezone="Europe/London")
    data["zone_confirmed"] = "PK Europe/London"
    response = client.post("/organise/events/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(Event))
    assert (event.country, event.timezone) == ("PK", "Europe/London")


def test_the_countrys_own_zone_is_saved_without_a_word(
    client, signed_in, make_organiser, make_campaign
):
    campaign = make_campaign()
    signed_in(make_organiser())
    data = _form(client, campaign, country="PK", city="Quetta", timezone="Asia/Karachi")
    response = client.post("/organise/events/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(Event))
    assert event.timezone == "Asia/Karachi"
    local = _start().replace(tzinfo=None)
    assert event.starts_at == (local - timedelta(hours=5)).replace(tzinfo=UTC)


def test_an_old_alias_is_not_offered_for_a_new_event(
    client, signed_in, make_organiser, make_campaign
):
    campaign = make_campaign()
    signed_in(make_organiser())
    data = _form(client, campaign, country="IN", timezone="Asia/Calcutta")
    page = client.post("/organise/events/new", data=data).get_data(as_text=True)
    assert "Not a valid choice." in page
    assert _event_count() == 0


def _saved_with(make_event, country: str, zone: str) -> Event:
    """A draft saved before zones followed countries, with ``zone`` as stored then."""
    event = make_event(status=EventStatus.DRAFT, country=country, timezone="UTC")
    event.timezone = zone
    db.session.commit()
    return event


def _edit_form(client, event: Event, **overrides) -> dict:
    local = event.starts_at.astimezone(event.zone).replace(tzinfo=None)
    fields = event_form(event.campaign_id, local, local + timedelta(hours=2), **overrides)
    fields.update(country=event.country, timezone=event.timezone, latitude="", longitude="")
    fields.update(overrides)
    return {"csrf_token": csrf_token(client, f"/organise/events/{event.ref}/edit"), **fields}


def test_an_event_saved_with_an_alias_shows_it_and_keeps_it(client, signed_in, make_event):
    for country, alias in (("IN", "Asia/Calcutta"), ("US", "US/Eastern")):
        event = _saved_with(make_event, country, alias)
        signed_in(event.organiser)
        page = client.get(f"/organise/events/{event.ref}/edit").get_data(as_text=True)
        assert _groups(page)[0] == ""  # "Saved with this event", before every country
        assert _selected_zone(page) == alias
        data = _edit_form(client, event, title="Changed title")
        response = client.post(f"/organise/events/{event.ref}/edit", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        db.session.refresh(event)
        assert (event.title, event.timezone) == ("Changed title", alias)


def test_an_event_saved_in_another_countrys_zone_keeps_it_until_either_changes(
    client, signed_in, make_event
):
    event = _saved_with(make_event, "PK", "Europe/London")
    signed_in(event.organiser)
    unchanged = _edit_form(client, event, title="Still here")
    assert client.post(f"/organise/events/{event.ref}/edit", data=unchanged).status_code == 302
    moved = _edit_form(client, event, country="AF", city="Kabul")
    page = client.post(f"/organise/events/{event.ref}/edit", data=moved).get_data(as_text=True)
    assert "Europe/London\u2069 is not the time zone of Afghanistan, which is \u2068Asia" in page
    db.session.refresh(event)
    assert (event.title, event.country) == ("Still here", "PK")


def test_offsets_follow_summer_time():
    winter, summer = datetime(2027, 1, 15, tzinfo=UTC), datetime(2027, 7, 15, tzinfo=UTC)
    assert zone_option_label("Europe/London", winter) == "Europe/London (UTC+00:00)"
    assert zone_option_label("Europe/London", summer) == "Europe/London (UTC+01:00)"
    assert zone_option_label("America/St_Johns", winter) == "America/St_Johns (UTC\u221203:30)"
