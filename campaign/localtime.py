"""Event times: entered and shown in the event's own zone, stored in UTC."""

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import format_datetime, format_time, get_timezone_name
from babel.numbers import format_decimal
from flask_babel import get_locale

from campaign.i18n import formatting_locale


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted; the legacy aliases left out."""
    names = {n for n in available_timezones() if "/" in n or n == "UTC"}
    return tuple(sorted(n for n in names if not n.startswith(("Etc/", "SystemV/", "US/"))))


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_or_none(name: str | None) -> ZoneInfo | None:
    if not name or name not in _known_zones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class NonexistentLocalTime(ValueError):
    """The wall-clock time is skipped in that zone (clocks go forward)."""


def local_to_utc(local: datetime, zone: tzinfo) -> datetime:
    """Interpret a naive wall-clock time in ``zone``; an ambiguous time takes the first."""
    aware = local.replace(tzinfo=zone, fold=0)
    as_utc = aware.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != local:
        raise NonexistentLocalTime(local.isoformat())
    return as_utc


def utc_to_local_naive(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _locale():
    return formatting_locale(str(get_locale() or "en"))


#: The zero of each numbering system in use (the other nine digits follow it in Unicode).
ZEROS = {"latn": "0", "arab": "\u0660", "arabext": "\u06f0", "deva": "\u0966", "beng": "\u09e6"}


@cache
def _digits_and_comma(locale_name: str) -> tuple[dict[int, str], str]:
    """The locale's own digits (Persian has its own) and comma (Arabic script has its own)."""
    locale = Locale.parse(locale_name)
    zero = ZEROS.get(locale.default_numbering_system, "0")
    digits = {ord("0") + d: chr(ord(zero) + d) for d in range(10)}
    comma = "، " if locale.character_order == "right-to-left" else ", "
    return digits, comma


def list_separator() -> str:
    """What separates the items of a list in the reader's language: ", " in English,
    "، " in Persian and Urdu (Babel's own list pattern)."""
    pattern = Locale.parse(str(_locale())).list_patterns["standard"]["middle"]
    return pattern.replace("{0}", "").replace("{1}", "")


def uses_own_digits() -> bool:
    """Whether the reader's language writes digits other than 0 to 9 (Persian does)."""
    digits, _ = _digits_and_comma(str(_locale()))
    return digits[ord("0")] != "0"


def localise_digits(text: str) -> str:
    digits, _ = _digits_and_comma(str(_locale()))
    return text.translate(digits)


def format_number(number) -> str:
    """A number as the reader writes it: grouping and digits of their language."""
    return localise_digits(format_decimal(number, locale=_locale(), numbering_system="default"))


def format_event_datetime(moment: datetime, zone: tzinfo, fmt: str = "full") -> str:
    """e.g. "Saturday 12 December 2026, 14:00", in the reader's language and digits."""
    digits, comma = _digits_and_comma(str(_locale()))
    pattern = {"full": "EEEE d MMMM y", "short": "EEE d MMM y"}[fmt]
    day = format_datetime(moment, pattern, tzinfo=zone, locale=_locale())
    return (day + comma + format_time(moment, "HH:mm", tzinfo=zone, locale=_locale())).translate(
        digits
    )


def format_event_time(moment: datetime, zone: tzinfo) -> str:
    digits, _ = _digits_and_comma(str(_locale()))
    return format_time(moment, "HH:mm", tzinfo=zone, locale=_locale()).translate(digits)


def zone_abbreviation(zone: ZoneInfo, moment: datetime) -> str:
    """The zone's abbreviation at that moment ("BST", "UTC+0430"), or "" when it has none."""
    abbreviation = moment.astimezone(zone).tzname() or ""
    if abbreviation == zone.key:
        return ""
    if abbreviation and not abbreviation.lstrip("+-").isdigit():
        return abbreviation
    return f"UTC{abbreviation}" if abbreviation else ""


def zone_label(zone: ZoneInfo, moment: datetime) -> str:
    """The zone's IANA name with its abbreviation at that moment, e.g. "Europe/London, BST"."""
    abbreviation = zone_abbreviation(zone, moment)
    return f"{zone.key}, {abbreviation}" if abbreviation else zone.key


def zone_long_name(zone: ZoneInfo) -> str:
    return get_timezone_name(zone, locale=_locale())


def format_event_span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """e.g. "Saturday 5 December 2026, 12:00-14:00 (Europe/London, GMT)" in plain text; when
    the clocks change during the event, each end with its own abbreviation:
    "Sunday 5 April 2026, 01:00 AEDT - 04:00 AEST (Australia/Sydney)"."""
    day_and_start = format_event_datetime(start, zone)
    until = format_event_time(end, zone)
    first, last = zone_abbreviation(zone, start), zone_abbreviation(zone, end)
    if first == last:
        return f"{day_and_start}\N{EN DASH}{until} ({zone_label(zone, start)})"
    return f"{day_and_start} {first} \N{EN DASH} {until} {last} ({zone.key})"
