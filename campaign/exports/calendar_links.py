""" "Add to calendar" links for web calendars that cannot take an .ics file. No Flask here.

Following one of these hands the event's details to Google or Microsoft: the pages say
so, and the .ics download is offered first.
"""

from datetime import UTC, datetime
from urllib.parse import quote_plus, urlencode, urlsplit, urlunsplit

from campaign.exports.ical import CalendarEntry

#: Web calendars, browsers and chat apps cut long URLs: every link stays under this many
#: characters, so each field gets a budget in percent-encoded bytes (a Persian letter takes
#: 6, so a 120-letter Persian title alone is 720): the title and the place 300 each, the
#: details 1000. With the dates, zone and parameter names (at most ~250), 1,850 at most.
MAX_URL = 2000
MAX_ENCODED_TITLE = 300
MAX_ENCODED_LOCATION = 300
MAX_ENCODED_DETAILS = 1000
ELLIPSIS = "…"


def _utc(moment: datetime, fmt: str) -> str:
    return moment.astimezone(UTC).strftime(fmt)


def capped(text: str, budget: int, tail: str = "") -> str:
    """``text`` then ``tail``, the text cut short (with "…") so that the whole takes at most
    ``budget`` characters once percent-encoded in a query; ``tail`` is always kept whole."""
    if len(quote_plus(text + tail)) <= budget:
        return text + tail
    shortest, longest = 0, len(text)  # the longest start of the text that fits
    while shortest < longest:
        middle = (shortest + longest + 1) // 2
        if len(quote_plus(text[:middle].rstrip() + ELLIPSIS + tail)) <= budget:
            shortest = middle
        else:
            longest = middle - 1
    return text[:shortest].rstrip() + ELLIPSIS + tail


def _details(entry: CalendarEntry) -> str:
    tail = f"\n\n{entry.url}" if entry.url and entry.url not in entry.description else ""
    return capped(entry.description, MAX_ENCODED_DETAILS, tail)


def _title(entry: CalendarEntry) -> str:
    return capped(entry.summary, MAX_ENCODED_TITLE)


def _location(entry: CalendarEntry) -> str:
    return capped(entry.location, MAX_ENCODED_LOCATION)


def google_calendar_url(entry: CalendarEntry) -> str:
    dates = f"{_utc(entry.starts_at, '%Y%m%dT%H%M%SZ')}/{_utc(entry.ends_at, '%Y%m%dT%H%M%SZ')}"
    query = {
        "action": "TEMPLATE",
        "text": _title(entry),
        "dates": dates,
        "ctz": entry.timezone,
        "details": _details(entry),
        "location": _location(entry),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(entry: CalendarEntry) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": _title(entry),
        "startdt": _utc(entry.starts_at, "%Y-%m-%dT%H:%M:%SZ"),
        "enddt": _utc(entry.ends_at, "%Y-%m-%dT%H:%M:%SZ"),
        "body": _details(entry),
        "location": _location(entry),
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


def webcal_url(feed_url: str) -> str:
    """The same feed as webcal://, which phones and desktop calendars open as a subscription."""
    parts = urlsplit(feed_url)
    return urlunsplit(("webcal", parts.netloc, parts.path, parts.query, ""))


#: Subscribing with Google or Microsoft: their pages that add a calendar by its address.
#: Each service fetches the feed itself, from its own servers, on its own schedule.
GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/r"
OUTLOOK_SUBSCRIBE = "https://outlook.live.com/calendar/0/addfromweb"
OFFICE_SUBSCRIBE = "https://outlook.office.com/calendar/0/addfromweb"
#: The calendar's name handed to Outlook (the feed's own X-WR-CALNAME names it too).
MAX_SUBSCRIBE_NAME = 100


def subscribe_urls(feed_url: str, name: str) -> dict[str, str]:
    """Every way to subscribe to the feed at ``feed_url`` (https): ``webcal`` (Apple
    Calendar, Outlook for Windows, Thunderbird and most phone apps open it as a
    subscription), ``google`` (Google takes the webcal address as ``cid``), ``outlook``
    (Outlook.com) and ``office`` (Microsoft 365 work or school accounts)."""
    outlook = urlencode({"url": feed_url, "name": name[:MAX_SUBSCRIBE_NAME]})
    return {
        "webcal": webcal_url(feed_url),
        "google": f"{GOOGLE_SUBSCRIBE}?{urlencode({'cid': webcal_url(feed_url)})}",
        "outlook": f"{OUTLOOK_SUBSCRIBE}?{outlook}",
        "office": f"{OFFICE_SUBSCRIBE}?{outlook}",
        "https": feed_url,
    }
