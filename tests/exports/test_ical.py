"""The iCalendar writer on its own: entries in, bytes out, parsed back with icalendar."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from campaign.exports.ical import CalendarEntry, CalendarInfo, events_to_ical

STAMP = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def entry(**overrides) -> CalendarEntry:
    values = {
        "uid": "event-abc@campaign",
        "sequence": 0,
        "summary": "I AM HAZARA at the town hall",
        "starts_at": datetime(2026, 12, 5, 12, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 5, 14, 0, tzinfo=UTC),
        "timezone": "Europe/London",
        "location": "Town Hall, London",
        "url": "https://example.org/e/abc",
        "description": "Stand with us.",
    }
    values.update(overrides)
    return CalendarEntry(**values)


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def only_event(body: bytes):
    (event,) = parse(body).walk("VEVENT")
    return event


def test_every_field_of_an_event_comes_back():
    body = events_to_ical(
        [entry(sequence=3, geo=(51.5, -0.125))], CalendarInfo(name="Campaign"), stamp=STAMP
    )
    calendar = parse(body)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Campaign"
    event = only_event(body)
    assert str(event["UID"]) == "event-abc@campaign"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("DTSTAMP") == STAMP
    assert str(event["SUMMARY"]) == "I AM HAZARA at the town hall"
    assert str(event["LOCATION"]) == "Town Hall, London"
    assert str(event["URL"]) == "https://example.org/e/abc"
    assert str(event["DESCRIPTION"]) == "Stand with us."
    assert str(event["STATUS"]) == "CONFIRMED"
    geo = event["GEO"]
    assert (geo.latitude, geo.longitude) == (51.5, -0.125)
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART") == datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    triggers = sorted(alarm.decoded("TRIGGER") for alarm in event.walk("VALARM"))
    assert triggers == [timedelta(days=-1), timedelta(hours=-2)]


def test_a_vtimezone_matches_each_tzid():
    body = events_to_ical(
        [entry(), entry(uid="b", timezone="Asia/Karachi"), entry(uid="c", timezone="UTC")],
        CalendarInfo(),
        stamp=STAMP,
    )
    zones = {str(tz["TZID"]) for tz in parse(body).walk("VTIMEZONE")}
    assert zones == {"Europe/London", "Asia/Karachi"}  # UTC needs none
    utc_event = next(e for e in parse(body).walk("VEVENT") if str(e["UID"]) == "c")
    assert utc_event.decoded("DTSTART").utcoffset() == timedelta(0)


def test_times_across_daylight_saving_changes_are_right_in_utc():
    london = ZoneInfo("Europe/London")
    # Starts on the last evening of winter time, ends after clocks went forward (29 March).
    start = datetime(2026, 3, 28, 23, 30, tzinfo=london)
    end = datetime(2026, 3, 29, 3, 30, tzinfo=london)
    # And one in Sydney across the April change back.
    sydney = ZoneInfo("Australia/Sydney")
    s_start = datetime(2026, 4, 5, 1, 30, tzinfo=sydney)
    s_end = datetime(2026, 4, 5, 4, 0, tzinfo=sydney)
    body = events_to_ical(
        [
            entry(starts_at=start, ends_at=end),
            entry(uid="syd", starts_at=s_start, ends_at=s_end, timezone="Australia/Sydney"),
        ],
        CalendarInfo(),
        stamp=STAMP,
    )
    events = {str(e["UID"]): e for e in parse(body).walk("VEVENT")}
    london_event = events["event-abc@campaign"]
    assert london_event.decoded("DTSTART").astimezone(UTC) == datetime(
        2026, 3, 28, 23, 30, tzinfo=UTC
    )
    assert london_event.decoded("DTEND").astimezone(UTC) == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    assert london_event["DTEND"].to_ical() == b"20260329T033000"
    sydney_event = events["syd"]
    assert sydney_event.decoded("DTSTART").astimezone(UTC) == datetime(
        2026, 4, 4, 14, 30, tzinfo=UTC
    )  # still daylight time (+11)
    assert sydney_event.decoded("DTEND").astimezone(UTC) == datetime(
        2026, 4, 4, 18, 0, tzinfo=UTC
    )  # standard time again (+10)
    # A calendar that only reads the file's own VTIMEZONE gets the same offsets.
    (vtimezone,) = [
        tz for tz in parse(body).walk("VTIMEZONE") if str(tz["TZID"]) == "Europe/London"
    ]
    offsets = {str(sub.name): sub.decoded("TZOFFSETTO") for sub in vtimezone.subcomponents}
    assert offsets == {"STANDARD": timedelta(0), "DAYLIGHT": timedelta(hours=1)}


def test_any_script_and_the_characters_ics_escapes_survive():
    summary = "من هزاره هستم; میں ہزارہ ہوں, 我是哈扎拉人"
    description = "Line one, with commas; and semicolons\nLine two \\ backslash\n" + "x" * 500
    location = 'Ø, København; "Rådhuspladsen"'
    body = events_to_ical(
        [entry(summary=summary, description=description, location=location)],
        CalendarInfo(name="کمپاین"),
        stamp=STAMP,
    )
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded by octets
    event = only_event(body)
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == description
    assert str(event["LOCATION"]) == location
    assert str(parse(body)["X-WR-CALNAME"]) == "کمپاین"
    body.decode("utf-8")


def test_an_event_with_no_coordinates_has_no_geo():
    event = only_event(events_to_ical([entry(geo=None)], CalendarInfo(), stamp=STAMP))
    assert "GEO" not in event


def test_cancelled_and_tentative_statuses_and_no_alarm_for_a_cancelled_event():
    body = events_to_ical(
        [entry(uid="a", status="CANCELLED"), entry(uid="b", status="TENTATIVE")],
        CalendarInfo(),
        stamp=STAMP,
    )
    events = {str(e["UID"]): e for e in parse(body).walk("VEVENT")}
    assert str(events["a"]["STATUS"]) == "CANCELLED"
    assert events["a"].walk("VALARM") == []
    assert str(events["b"]["STATUS"]) == "TENTATIVE"
    assert len(events["b"].walk("VALARM")) == 2


def test_a_feed_says_how_often_to_refresh():
    body = events_to_ical([], CalendarInfo(name="Feed", refresh=timedelta(hours=6)), stamp=STAMP)
    calendar = parse(body)
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=6)
    assert b"X-PUBLISHED-TTL:PT6H" in body
