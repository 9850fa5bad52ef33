"""The ISO 3166 country list, with names in the reader's language."""

from functools import cache

import pycountry
from babel import Locale
from flask_babel import get_locale


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def country_name(code: str) -> str:
    locale = get_locale() or Locale("en")
    name = locale.territories.get(code)
    if name:
        return name
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def country_choices() -> list[tuple[str, str]]:
    choices = [(code, country_name(code)) for code in country_codes()]
    return sorted(choices, key=lambda choice: choice[1].casefold())
