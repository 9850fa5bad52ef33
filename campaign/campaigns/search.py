"""Finding events on a campaign page: words, place, kind of venue, dates, and "near me".

Distances are computed here, from coordinates the browser sends to this site only; no
geocoding or map service is asked anything.
"""

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, or_, select

from campaign.countries import country_codes
from campaign.extensions import db
from campaign.models import Campaign, Event, EventStatus, VenueType, utcnow

PAGE_SIZE = 20
MAX_PAGE = 500
MAX_TEXT = 100
#: Words searched for: each adds a match on five columns of every event.
MAX_WORDS = 8
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class SearchParams:
    text: str = ""
    country: str = ""
    city: str = ""
    venue_type: VenueType | None = None
    date_from: date | None = None
    date_to: date | None = None
    near: tuple[float, float] | None = None
    page: int = 1
    #: (parameter, problem code) for what could not be used; the page explains each.
    problems: tuple[tuple[str, str], ...] = field(default=())

    @property
    def filtered(self) -> bool:
        place = (self.country, self.city, self.venue_type, self.near)
        return any((self.text, *place, self.date_from, self.date_to))


def _clean_text(value: str | None) -> str:
    return " ".join((value or "").split())


Problems = list[tuple[str, str]]


def parse_search(args) -> SearchParams:
    """Read the query string; a value that cannot be used is dropped and reported."""
    problems: Problems = []  # each reader adds what it could not use, in the page's order
    text = _search_text(args, problems)
    country = _country(args, problems)
    city = _city(args, problems)
    venue_type = _venue_type(args, problems)
    date_from, date_to = _dates(args, problems)
    near = _near(args, problems)
    page = _page(args, problems)
    return SearchParams(
        text=text,
        country=country,
        city=city,
        venue_type=venue_type,
        date_from=date_from,
        date_to=date_to,
        near=near,
        page=page,
        problems=tuple(problems),
    )


def _search_text(args, problems: Problems) -> str:
    text = _clean_text(args.get("q"))
    words = list(dict.fromkeys(text[:MAX_TEXT].split()))  # each word once
    if len(text) > MAX_TEXT or len(words) > MAX_WORDS:
        problems.append(("q", "too_long"))
    return " ".join(words[:MAX_WORDS])


def _country(args, problems: Problems) -> str:
    country = (args.get("country") or "").strip().upper()
    if country and country not in country_codes():
        problems.append(("country", "unknown_country"))
        return ""
    return country


def _city(args, problems: Problems) -> str:
    city = _clean_text(args.get("city"))
    if len(city) > MAX_TEXT:
        problems.append(("city", "too_long"))
        return ""
    return city


def _venue_type(args, problems: Problems) -> VenueType | None:
    venue = (args.get("venue_type") or "").strip()
    if not venue:
        return None
    try:
        return VenueType(venue)
    except ValueError:
        problems.append(("venue_type", "unknown_venue_type"))
        return None


def _date(args, name: str, problems: Problems) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append((name, "bad_date"))
        return None


def _dates(args, problems: Problems) -> tuple[date | None, date | None]:
    date_from, date_to = _date(args, "date_from", problems), _date(args, "date_to", problems)
    if date_from and date_to and date_to < date_from:
        problems.append(("date_to", "dates_reversed"))
        date_to = None
    return date_from, date_to


def _near(args, problems: Problems) -> tuple[float, float] | None:
    lat, lon = (args.get("lat") or "").strip(), (args.get("lon") or "").strip()
    if not (lat or lon):
        return None
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        latitude = longitude = math.nan
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:
        return (latitude, longitude)
    problems.append(("near", "bad_position"))
    return None


def _page(args, problems: Problems) -> int:
    page = (args.get("page") or "1").strip()
    if not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= MAX_PAGE:
        problems.append(("page", "bad_page"))
        return 1
    return int(page)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _escape(text: str) -> str:
    """``text`` for LIKE: its % and _ are only characters."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    return f"%{_escape(text)}%"


def _public_upcoming(campaign: Campaign):
    """Public events still to come; cancelled ones are not searched for."""
    return (
        Event.campaign_id == campaign.id,
        Event.is_public,
        Event.status != EventStatus.CANCELLED,
        Event.ends_at > utcnow(),
    )


def _conditions(campaign: Campaign, params: SearchParams) -> list:
    conditions = list(_public_upcoming(campaign))
    for word in params.text.split():
        pattern = _like(word)
        conditions.append(
            or_(
                Event.title.ilike(pattern, escape="\\"),
                Event.venue_name.ilike(pattern, escape="\\"),
                Event.city.ilike(pattern, escape="\\"),
                Event.address.ilike(pattern, escape="\\"),
                Event.description.ilike(pattern, escape="\\"),
            )
        )
    if params.country:
        conditions.append(Event.country == params.country)
    if params.city:
        conditions.append(Event.city.ilike(_escape(params.city), escape="\\"))
    if params.venue_type:
        conditions.append(Event.venue_type == params.venue_type)
    if params.date_from:
        conditions.append(Event.local_date >= params.date_from)
    if params.date_to:
        conditions.append(Event.local_date <= params.date_to)
    return conditions


@dataclass
class SearchResult:
    events: list[Event]
    total: int
    page: int
    pages: int
    #: Event id → kilometres from the searcher, when "near me" was asked.
    distances: dict[int, float]


def search_events(campaign: Campaign, params: SearchParams) -> SearchResult:
    conditions = _conditions(campaign, params)
    offset = (params.page - 1) * PAGE_SIZE
    distances: dict[int, float] = {}
    if params.near is None:
        total = db.session.execute(
            select(func.count(Event.id)).where(and_(*conditions))
        ).scalar_one()
        events = list(
            db.session.scalars(
                select(Event)
                .where(*conditions)
                .order_by(Event.starts_at, Event.id)
                .offset(offset)
                .limit(PAGE_SIZE)
            )
        )
    else:
        # Nearest first: coordinates are few per campaign, so the ordering is done here.
        rows = db.session.execute(
            select(Event.id, Event.latitude, Event.longitude).where(
                *conditions, Event.latitude.is_not(None), Event.longitude.is_not(None)
            )
        ).all()
        ranked = sorted(
            ((distance_km(params.near, (lat, lon)), event_id) for event_id, lat, lon in rows)
        )
        total = len(ranked)
        chosen = ranked[offset : offset + PAGE_SIZE]
        distances = {event_id: km for km, event_id in chosen}
        by_id = {e.id: e for e in db.session.scalars(select(Event).where(Event.id.in_(distances)))}
        events = [by_id[event_id] for _, event_id in chosen]
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return SearchResult(events, total, params.page, pages, distances)


def events_by_country(campaign: Campaign) -> list[tuple[str, int]]:
    """Upcoming public events per country, most first."""
    rows = db.session.execute(
        select(Event.country, func.count(Event.id))
        .where(*_public_upcoming(campaign))
        .group_by(Event.country)
        .order_by(func.count(Event.id).desc(), Event.country)
    ).all()
    return [(country, count) for country, count in rows]


def map_points(campaign: Campaign, params: SearchParams, limit: int = 5000) -> list[tuple]:
    """(ref, title, city, latitude, longitude) of every matching event with coordinates."""
    conditions = _conditions(campaign, params)
    return list(
        db.session.execute(
            select(Event.ref, Event.title, Event.city, Event.latitude, Event.longitude)
            .where(*conditions, Event.latitude.is_not(None), Event.longitude.is_not(None))
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        ).all()
    )
