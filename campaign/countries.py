"""The ISO 3166 country list, with names in the reader's language."""

from functools import cache

import pycountry
from babel import Locale
from flask_babel import get_locale

from campaign.i18n import formatting_locale


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def country_name(code: str) -> str:
    return _names(formatting_locale(str(get_locale() or "en"))).get(code) or _fallback_name(code)


@cache
def _names(locale: str) -> dict[str, str]:
    """Country names in one language (read once: feeds name thousands of events)."""
    return dict(Locale.parse(locale).territories)


@cache
def _fallback_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def country_choices() -> list[tuple[str, str]]:
    choices = [(code, country_name(code)) for code in country_codes()]
    return sorted(choices, key=lambda choice: choice[1].casefold())
