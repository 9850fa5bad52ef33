"""What goes into the calendar files: events and memberships as calendar entries, the
campaign feed's events and its cache. The file format itself is ``ical.py``."""

import hashlib
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload
from werkzeug.http import http_date
from werkzeug.wsgi import get_host

from campaign.countries import country_name
from campaign.exports.ical import CalendarEntry
from campaign.extensions import db
from campaign.i18n import locale_of
from campaign.models import Campaign, Event, EventStatus, GroupState, Membership, VenueType
from campaign.navigation import absolute_url_for

#: Campaign feeds keep events that ended up to this long ago, so calendars keep the history.
FEED_KEEPS_PAST = timedelta(days=30)
# How often subscribed calendars should fetch a feed again, written both as
# REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL (the older name). What clients do with
# them: Apple Calendar (macOS, iOS) and Outlook for Windows read X-PUBLISHED-TTL (Outlook
# as the shortest interval it may poll at); Thunderbird and DAVx5/ICSx5 use their own
# setting; Google Calendar and Outlook on the web ignore both and poll every few hours to
# a day, which no feed can change. So the value is for Apple and Outlook.
#: The campaign feed: new, moved and cancelled events. A poll costs a 304 from the fast
#: path (campaign.exports.fastpath), so hourly is cheap and a cancellation arrives soon.
FEED_REFRESH = timedelta(hours=1)
#: A volunteer's own feed: their group turning ready, a meeting point set an hour before.
#: Messages tell them too; the calendar should not lag far behind. One indexed read a poll.
MEMBER_FEED_REFRESH = timedelta(minutes=30)
#: Change when the feed's content changes shape, so no cached copy outlives a deploy.
FEED_FORMAT = "2"
#: UIDs must never change (calendars match on them), so they name no host.
UID_DOMAIN = "campaign"


def event_uid(event: Event) -> str:
    return f"event-{event.ref}@{UID_DOMAIN}"


def _status(event: Event) -> str:
    return "CANCELLED" if event.status is EventStatus.CANCELLED else "CONFIRMED"


def event_location(event: Event) -> str:
    parts = [event.venue_name, event.address, event.city, country_name(event.country)]
    return ", ".join(part for part in parts if part)


def _geo(event: Event) -> tuple[float, float] | None:
    if event.latitude is None or event.longitude is None:
        return None
    return (event.latitude, event.longitude)


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _join_text(event: Event, page: str) -> str:
    return _(
        "Never go alone: join a group of at least %(min)d people at %(url)s",
        min=event.min_group_size,
        url=f"{page}/join",  # /e/<ref>/join: a public URL that never changes
    )


def site_url(endpoint: str, origin: str | None = None, **values) -> str:
    """An absolute URL; with ``origin`` ("scheme://host", or ``feed_template.ORIGIN``) in
    place of the one the request or SERVER_NAME gives."""
    if origin is None:
        return absolute_url_for(endpoint, **values)
    return origin + url_for(endpoint, **values)


def _summary(event: Event, title: str) -> str:
    """The title, marked cancelled in words too: many apps ignore STATUS:CANCELLED and would
    show a cancelled event as if it were on."""
    if event.status is EventStatus.CANCELLED:
        return _("CANCELLED: %(title)s", title=title)
    return title


def event_entry(event: Event, campaign: Campaign, *, origin: str | None = None) -> CalendarEntry:
    """The public calendar entry of an event: same UID everywhere, SEQUENCE its revision."""
    lines = []
    if event.status is EventStatus.CANCELLED:
        lines.append(_("This event is cancelled. Do not go."))
    lines.append(event.description.strip())
    pledge = first_line(campaign.pledge)
    if pledge:
        lines.append(_("The pledge: %(line)s", line=pledge))
    page = site_url("events.show_event", origin, ref=event.ref)
    lines.append(_join_text(event, page))
    return CalendarEntry(
        uid=event_uid(event),
        sequence=event.revision,
        summary=_summary(event, event.title),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        status=_status(event),
        location=event_location(event),
        geo=_geo(event),
        url=page,
        description="\n\n".join(line for line in lines if line),
        last_modified=event.updated_at,
    )


def member_entry(membership: Membership, token: str, *, private: bool = True) -> CalendarEntry:
    """A volunteer's own entry: their group, where it meets, and whether it is safe to go.

    The member page's link (its secret token) is never written into calendar data: phones
    sync calendars to iCloud, Google and Exchange. ``private=False`` also leaves out the
    meeting point, for the copies handed to Google or Microsoft.
    """
    group = membership.group
    event = group.event
    group_name = group.name or _("Group %(code)s", code=group.display_code)
    status = _member_status(group)
    lines = [_member_status_line(group, status)]
    meeting_point = group.meeting_point if private else ""
    if meeting_point:
        lines.append(_("Meet: %(place)s", place=meeting_point))
    lines.append(_("Your group page is the link you kept when you joined."))
    starts_at = event.starts_at
    if group.meeting_at is not None and group.meeting_at < event.ends_at:
        starts_at = group.meeting_at
    location = event_location(event)
    return CalendarEntry(
        uid=f"member-{membership.token_hash[:24]}@{UID_DOMAIN}",
        sequence=event.revision + group.revision,
        summary=_summary(event, f"{event.title} · {group_name}"),
        starts_at=starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        status=status,
        location=f"{meeting_point} — {location}" if meeting_point else location,
        geo=_geo(event),
        url=absolute_url_for("events.show_event", ref=event.ref),
        description="\n\n".join(lines),
        last_modified=max(event.updated_at, group.changed_at),
    )


def _member_status(group) -> str:
    """A forming group's entry is TENTATIVE: nobody goes below the minimum."""
    if group.event.status is EventStatus.CANCELLED:
        return "CANCELLED"
    return "TENTATIVE" if group.state is GroupState.FORMING else "CONFIRMED"


def _member_status_line(group, status: str) -> str:
    if status == "CANCELLED":
        return _("This event is cancelled. Do not go.")
    if status == "TENTATIVE":
        return _(
            "Your group has %(count)d of the %(min)d people it needs. Do not go alone.",
            count=group.member_count,
            min=group.event.min_group_size,
        )
    return _("Your group is ready: %(count)d people.", count=group.member_count)


# --- the campaign feed -------------------------------------------------------------------


class FeedFilterError(ValueError):
    def __init__(self, parameter: str):
        super().__init__(parameter)
        self.parameter = parameter


@dataclass(frozen=True)
class FeedFilters:
    """The feed's filters, normalised: every spelling of one filter is one value (and one
    build), whatever its letter case, spaces or Unicode form; unknown parameters are
    ignored."""

    country: str = ""
    city: str = ""
    venue_type: VenueType | None = None

    @classmethod
    def from_args(cls, args) -> "FeedFilters":
        country = _normal(args.get("country")).upper()
        if country and (len(country) != 2 or not country.isascii() or not country.isalpha()):
            raise FeedFilterError("country")
        # Cities match without regard to case (ILIKE), so the lower-case form is the key.
        city = _normal(args.get("city")).lower()
        if len(city) > 100:
            raise FeedFilterError("city")
        venue = _normal(args.get("venue_type")).lower()
        try:
            venue_type = VenueType(venue) if venue else None
        except ValueError:
            raise FeedFilterError("venue_type") from None
        return cls(country=country, city=city, venue_type=venue_type)

    def key(self) -> str:
        venue = self.venue_type.value if self.venue_type else ""
        return f"{self.country}|{self.city}|{venue}"


def _normal(value: str | None) -> str:
    """NFKC (full-width and composed letters as one form), runs of white space as one."""
    return " ".join(unicodedata.normalize("NFKC", value or "")[:1000].split())


def feed_window_start(now: datetime) -> datetime:
    """Midnight UTC, 30 days back: the window moves once a day, so the ETag holds all day."""
    return datetime.combine(now.date(), time(), tzinfo=UTC) - FEED_KEEPS_PAST


#: The one read that decides a feed request: the campaign and its feed revision, by slug.
#: (The fast path runs it on a raw connection and leaves the third column unread.)
FEED_REVISION = select(Campaign.id, Campaign.feed_revision, Campaign.feed_changed_at).where(
    Campaign.slug == bindparam("slug")
)


@dataclass(frozen=True)
class FeedAsk:
    """What a request asks of a campaign feed, read from it the same way by the view and
    by the fast path: everything the feed's bytes depend on besides the campaign."""

    slug: str
    filters: FeedFilters
    locale: str
    script_name: str
    #: "scheme://host" of the feed's links (``feed_origin``).
    origin: str
    #: The compiled translations' version (``CATALOG_VERSION``, ``i18n.prepare_catalogs``):
    #: a feed built before a catalog was compiled or changed is never served after.
    catalog: str = ""


@dataclass(frozen=True)
class FeedVersion:
    """Enough to answer a conditional GET without reading a single event."""

    campaign_id: int
    #: Names one build: what the feed's bytes depend on, except the host in its links.
    build_key: str
    etag: str
    #: The whole second of the last change; None where the campaign's change time was not
    #: read (the fast path: the built copy keeps it). A validator only once that second is
    #: over: ``last_modified_validator``.
    last_modified: datetime | None = None


def version_of(ask: FeedAsk, row, now: datetime) -> FeedVersion:
    """The version a ``FEED_REVISION`` row (id, revision[, changed at]) gives ``ask``."""
    campaign_id, revision = row[0], row[1]
    build_key = feed_build_key(
        campaign_id, revision, now, ask.filters, ask.locale, ask.script_name, ask.catalog
    )
    last_modified = None
    if len(row) > 2:
        # The window's move at midnight is a change too.
        window_moved = feed_window_start(now) + FEED_KEEPS_PAST
        last_modified = max(row[2], window_moved).replace(microsecond=0)
    return FeedVersion(campaign_id, build_key, feed_etag(build_key, ask.origin), last_modified)


#: Last-Modified has one-second steps, so a time is a validator only once its second is
#: over: a feed served at 12:00:00.5 saying "12:00:00" would let a change at 12:00:00.8 go
#: unseen by If-Modified-Since ("not modified since 12:00:00"). One more second allows for
#: the clocks of the workers that write the change time and read it.
LAST_MODIFIED_AFTER = timedelta(seconds=2)


def last_modified_validator(changed: datetime | None, now: datetime) -> datetime | None:
    """The Last-Modified to send (and to compare If-Modified-Since with) for a feed whose
    last change was in the second ``changed``: None until that second is over."""
    if changed is None or now < changed + LAST_MODIFIED_AFTER:
        return None
    return changed


#: The query parameter that names a calendar file's language: ``?lang=fa``.
LANGUAGE_PARAMETER = "lang"


def feed_locale(http_request, languages) -> str:
    """The language a calendar file is written in: the one its URL names (``?lang=``),
    else the visitor's as on any page (the switcher's cookie, else Accept-Language).

    Calendar servers (Google's, Microsoft's, a phone's calendar app) fetch a subscribed
    feed with no cookie and no Accept-Language, so without ``lang`` in the URL every
    subscriber read English; the pages that hand out a calendar URL put the reader's
    language in it (``campaign.exports.views.feed_url_language``). A URL without one, or
    with a language this site does not offer (an old URL in someone's calendar), is read
    as before. ``http_request`` is Flask's request or a plain werkzeug one (the fast path)."""
    asked = http_request.args.get(LANGUAGE_PARAMETER)
    if asked in languages:
        return asked
    return locale_of(http_request, languages)


def flask_ask(slug: str, filters: FeedFilters, origin: str) -> FeedAsk:
    """The ask of Flask's current request."""
    return FeedAsk(
        slug,
        filters,
        feed_locale(request, current_app.config["LANGUAGES"]),
        request.environ.get("SCRIPT_NAME", ""),
        origin,
        current_app.config.get("CATALOG_VERSION", ""),
    )


def feed_version(slug: str, filters: FeedFilters, origin: str, now: datetime):
    """The version Flask's current request asks for; None for no such campaign."""
    row = db.session.execute(FEED_REVISION, {"slug": slug}).one_or_none()
    return None if row is None else version_of(flask_ask(slug, filters, origin), row, now)


def feed_build_key(
    campaign_id: int,
    revision: int,
    now: datetime,
    filters: FeedFilters,
    locale: str,
    script_name: str,
    catalog: str = "",
) -> str:
    """Everything a build depends on: the campaign's events (its feed revision), the day (the
    30-day window), the filters, the language and its compiled catalog, and the path the site
    is mounted at. Not the host: any Host header is served from the same build."""
    window = feed_window_start(now)
    parts = (
        FEED_FORMAT,
        campaign_id,
        revision,
        window.date(),
        filters.key(),
        locale,
        script_name,
        catalog,
    )
    return hashlib.sha256("\n".join(map(str, parts)).encode()).hexdigest()[:32]


def feed_etag(build_key: str, origin: str) -> str:
    """The build and the host its links name (a different host is different bytes)."""
    return hashlib.sha256(f"{build_key}\n{origin}".encode()).hexdigest()[:32]


def feed_origin(config, environ) -> str:
    """The "scheme://host" of the feed's links, as ``absolute_url_for`` writes them: from
    SERVER_NAME when set (every Host header then gets the same feed), else the request's
    (lower case and without a default port, as Werkzeug's URL building writes it)."""
    server = config.get("SERVER_NAME")
    if server:
        return f"{config.get('PREFERRED_URL_SCHEME') or 'https'}://{server}"
    return f"{environ['wsgi.url_scheme']}://{get_host(environ).lower()}"


#: What a feed response varies on, and how long a copy may be used without asking.
FEED_VARY = "Accept-Language, Cookie, Accept-Encoding"


def feed_validator_headers(etag: str) -> list[tuple[str, str]]:
    return [("ETag", f'"{etag}"'), ("Cache-Control", "no-cache"), ("Vary", FEED_VARY)]


def feed_headers(
    cached: "CachedFeed", slug: str, gzipped: bool, etag: str, last_modified: datetime | None
):
    """A built feed's 200 headers (the security headers come on top); Last-Modified when
    ``last_modified_validator`` gives one."""
    headers = [
        ("Content-Type", "text/calendar; charset=utf-8"),
        ("Content-Length", str(len(cached.body))),
        ("Content-Disposition", f'inline; filename="{slug}.ics"'),
    ]
    if gzipped:
        headers.append(("Content-Encoding", "gzip"))
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    return headers + feed_validator_headers(etag)


@dataclass(frozen=True)
class CachedFeed:
    """A built feed and the second of its last change, which the ETag fixes too."""

    body: bytes
    changed: datetime


def feed_events(campaign: Campaign, filters: FeedFilters, now: datetime) -> list[Event]:
    """Public events of the campaign that ended at most 30 days ago, cancelled ones kept
    (as CANCELLED) so that subscribed calendars drop them."""
    query = (
        select(Event)
        .options(lazyload(Event.campaign))
        .where(
            Event.campaign_id == campaign.id,
            Event.is_public,
            Event.ends_at >= feed_window_start(now),
        )
        .order_by(Event.starts_at, Event.id)
    )
    if filters.country:
        query = query.where(Event.country == filters.country)
    if filters.city:
        escaped = filters.city.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Event.city.ilike(escaped, escape="\\"))
    if filters.venue_type:
        query = query.where(Event.venue_type == filters.venue_type)
    return list(db.session.scalars(query))


class FeedCache:
    """Built feeds (or feed templates) by key, least recently used out first. Per process:
    each worker checks the campaign's feed revision in the database on every request, so
    none serves stale. Bounded in bytes, so odd filters cannot grow a worker's memory."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, sizeof=lambda feed: len(feed.body)):
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._entries: OrderedDict[str, object] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            feed = self._entries.get(key)
            if feed is not None:
                self._entries.move_to_end(key)
            return feed

    def put(self, key: str, feed) -> None:
        size = self._sizeof(feed)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._size -= self._sizeof(old) if old is not None else 0
            self._entries[key] = feed
            self._size += size
            while self._size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= self._sizeof(evicted)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
