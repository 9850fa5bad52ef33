"""Which time zones belong to which country, for the event form.

``zoneinfo`` has no country map, so it is read from tzdb's own tables in the ``tzdata``
package (a dependency, so it works on any install; the system's /usr/share/zoneinfo is the
fallback): ``zone.tab`` names each country's zones by their current names (Asia/Kolkata,
never the old alias Asia/Calcutta or US/Eastern), and ``tzdata.zi`` says which names are
links to which zone, so two names that keep the same clock count as the same zone.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

SYSTEM_ZONEINFO = Path("/usr/share/zoneinfo")


def _tzdb_text(name: str) -> str:
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        path = SYSTEM_ZONEINFO / name
        return path.read_text(encoding="utf-8") if path.exists() else ""


@cache
def _zone_tab() -> dict[str, tuple[str, ...]]:
    zones: dict[str, list[str]] = {}
    for line in _tzdb_text("zone.tab").splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone, *_comment = line.split("\t")
            zones.setdefault(country, []).append(zone)
    return {country: tuple(names) for country, names in zones.items()}


@cache
def _links() -> dict[str, str]:
    """Each link name → the zone it stands for (``L Asia/Kolkata Asia/Calcutta``)."""
    links = {}
    for line in _tzdb_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _l, target, name = line.split()[:3]
            links[name] = target
    return links


def clock_of(zone: str) -> str:
    """The zone a name keeps the clock of: itself, or the zone it is a link to."""
    return _links().get(zone, zone)


@cache
def canonical_zones() -> frozenset[str]:
    """The zones the form offers: every country's zones by their current names."""
    return frozenset(z for names in _zone_tab().values() for z in names)


def zones_of(country: str) -> tuple[str, ...]:
    """A country's zones (ISO 3166 alpha-2 code), west to east; () when it has none."""
    names = _zone_tab().get(country, ())
    now = datetime.now(UTC)
    return tuple(sorted(names, key=lambda name: (utc_offset_minutes(name, now), name)))


def only_zone_of(country: str) -> str | None:
    """The country's zone when it has exactly one (Pakistan: Asia/Karachi), else None."""
    names = zones_of(country)
    return names[0] if len(names) == 1 else None


def zone_fits_country(zone: str, country: str) -> bool:
    """Whether a zone keeps the country's clock. A country tzdb gives no zone (Bouvet
    Island) takes any; an alias counts as the zone it links to."""
    names = _zone_tab().get(country)
    if not names:
        return True
    return clock_of(zone) in {clock_of(name) for name in names}


def utc_offset_minutes(zone: str, moment: datetime) -> int:
    offset = moment.astimezone(ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def format_utc_offset(minutes: int) -> str:
    """e.g. "UTC+05:30", "UTC\u221203:00" (a true minus sign), "UTC+00:00"."""
    sign = "\N{MINUS SIGN}" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


class ZoneGroup(NamedTuple):
    """One <optgroup> of the zone select: a country's name and its zones."""

    label: str
    #: (zone name, label with its current offset)
    zones: tuple[tuple[str, str], ...]
    country: str = ""


def zone_groups(
    country_names: list[tuple[str, str]],
    *,
    first: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
    now: datetime | None = None,
) -> Iterator[ZoneGroup]:
    """The select's groups: ``extra`` (label, zone) groups first (an event's own zone that
    is no longer offered), then the ``first`` country's zones, then every country in the
    order of ``country_names`` ((code, name) pairs, already sorted for the reader)."""
    now = now or datetime.now(UTC)
    for label, zone in extra:
        yield ZoneGroup(label, ((zone, zone_option_label(zone, now)),))
    ordered = sorted(country_names, key=lambda pair: pair[0] != first)
    for code, name in ordered:
        zones = zones_of(code)
        if zones:
            labelled = tuple((zone, zone_option_label(zone, now)) for zone in zones)
            yield ZoneGroup(name, labelled, code)


def zone_option_label(zone: str, now: datetime) -> str:
    """e.g. "Asia/Karachi (UTC+05:00)": the offset now, so summer time shows as it is."""
    return f"{zone} ({format_utc_offset(utc_offset_minutes(zone, now))})"
