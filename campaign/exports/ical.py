"""iCalendar feeds: calendar entries in, RFC 5545 bytes out. No Flask here.

The callers (``campaign.exports.feeds``) turn events and memberships into
:class:`CalendarEntry` values; this module only knows the file format.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vDuration, vText

PRODID = "-//campaign//solidarity demonstrations//EN"

#: Reminders before each event: the day before (to plan), two hours before (to leave).
ALARMS = (timedelta(days=1), timedelta(hours=2))


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    #: Bumped by every significant change, so calendars replace their copy.
    sequence: int
    summary: str
    #: Aware datetimes; written in ``timezone`` with a matching VTIMEZONE.
    starts_at: datetime
    ends_at: datetime
    timezone: str
    #: CONFIRMED, TENTATIVE or CANCELLED.
    status: str = "CONFIRMED"
    location: str = ""
    geo: tuple[float, float] | None = None
    url: str = ""
    description: str = ""
    last_modified: datetime | None = None
    alarm_text: str = ""


@dataclass(frozen=True)
class CalendarInfo:
    """The calendar as a whole: its name in calendar apps and how often to refresh."""

    name: str = ""
    description: str = ""
    #: REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL: how often subscribers re-fetch.
    refresh: timedelta | None = None
    url: str = ""
    extra: dict[str, str] = field(default_factory=dict)


#: Line breaks a text may hold, each written as an escaped newline ("\\n").
_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
#: Where ``campaign.exports.feed_template`` puts each request's origin: kept whole; any
#: other control character (a stray unit separator included) is dropped.
ORIGIN_MARK = "\x1forigin\x1f"


def text(value: str) -> vText:
    """A TEXT value (RFC 5545 3.3.11) safe to write: every line break becomes one escaped
    newline, other control characters are dropped, and icalendar escapes ``\\ ; ,``.
    A bare CR written raw would end the content line, and what follows it (a whole
    VEVENT) would be read as the feed's own."""
    for lone, newline in _BREAKS.items():
        value = value.replace(lone, newline)
    parts = value.split(ORIGIN_MARK)
    kept = ("".join(ch for ch in part if ch in "\n\t" or not _is_control(ch)) for part in parts)
    return vText(ORIGIN_MARK.join(kept))


def _is_control(ch: str) -> bool:
    return ord(ch) < 32 or 127 <= ord(ch) < 160


# No METHOD in the files: METHOD:PUBLISH makes a file an iTIP message (RFC 5546), whose
# VEVENTs need an ORGANIZER, and the campaign has no address that should get replies (a
# no-reply mailto would invite them; Outlook shows an organised event as a meeting the
# reader was invited to). Without METHOD a file is what it is, a snapshot of events
# (RFC 5545 3.7.2: "no scheduling transaction"), which every calendar imports and
# subscribes to.


def events_to_ical(
    entries: Iterable[CalendarEntry], info: CalendarInfo, *, stamp: datetime
) -> bytes:
    """One VCALENDAR holding a VEVENT per entry and a VTIMEZONE per zone used."""
    return events_to_calendar(entries, info, stamp=stamp).to_ical()


def events_to_calendar(
    entries: Iterable[CalendarEntry], info: CalendarInfo, *, stamp: datetime
) -> Calendar:
    """:func:`events_to_ical` before serialising (for feeds whose links are filled in
    later: ``campaign.exports.feed_template``)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")  # and no METHOD: see above events_to_ical
    if info.name:
        calendar.add("name", text(info.name))
        calendar.add("x-wr-calname", text(info.name))
    if info.description:
        calendar.add("description", text(info.description))
        calendar.add("x-wr-caldesc", text(info.description))
    if info.url:
        calendar.add("url", info.url)
    if info.refresh:
        calendar.add("refresh-interval", info.refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(info.refresh))

    stamp = stamp.astimezone(UTC)
    years: dict[str, tuple[int, int]] = {}
    events = []
    for entry in entries:
        events.append(_vevent(entry, stamp))
        first, last = years.get(entry.timezone, (entry.starts_at.year, entry.ends_at.year))
        years[entry.timezone] = (min(first, entry.starts_at.year), max(last, entry.ends_at.year))
    for tzid in sorted(years):
        if tzid != "UTC":
            calendar.add_component(_vtimezone(tzid, *years[tzid]))
    for event in events:
        calendar.add_component(event)
    if not events:  # RFC 5545 wants at least one component, even in an empty feed
        calendar.add_component(_vtimezone("UTC", stamp.year, stamp.year))
    return calendar


def _vevent(entry: CalendarEntry, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("sequence", entry.sequence)
    event.add("summary", text(entry.summary))
    zone = entry.timezone
    event.add("dtstart", _in_zone(entry.starts_at, zone))
    event.add("dtend", _in_zone(entry.ends_at, zone))
    event.add("status", entry.status)
    event.add("transp", "OPAQUE")
    if entry.location:
        event.add("location", text(entry.location))
    if entry.geo is not None:
        event.add("geo", entry.geo)
    if entry.url:
        event.add("url", entry.url)
    if entry.description:
        event.add("description", text(entry.description))
    if entry.last_modified is not None:
        event.add("last-modified", entry.last_modified.astimezone(UTC))
    if entry.status != "CANCELLED":
        for before in ALARMS:
            event.add_component(_alarm(before, entry.alarm_text or entry.summary))
    return event


def _alarm(before: timedelta, description: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text(description))
    alarm.add("trigger", -before)
    return alarm


def _in_zone(moment: datetime, tzid: str) -> datetime:
    return moment.astimezone(_zone(tzid))


@lru_cache(maxsize=512)
def _zone(tzid: str):
    return UTC if tzid == "UTC" else ZoneInfo(tzid)


@lru_cache(maxsize=512)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    # Only the transitions around the events: a VTIMEZONE from 1970 would be most of the file.
    return Timezone.from_tzid(
        tzid, first_date=date(first_year - 1, 1, 1), last_date=date(last_year + 1, 12, 31)
    )
