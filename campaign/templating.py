"""Jinja filters and globals used across templates, and the templates compiled once."""

import re
import threading

from flask import Flask
from flask.templating import Environment
from flask_babel import get_translations
from jinja2 import pass_context
from markupsafe import Markup

from campaign import access, localtime, texts
from campaign.countries import country_name
from campaign.i18n import text_direction
from campaign.navigation import absolute_url_for


class CompileOnceEnvironment(Environment):
    """Flask's Jinja environment, where a template is compiled by one thread at a time.

    Jinja compiles a template on its first use and caches it, but threads that miss the
    cache together each compile it: in a new waitress worker (campaign_serving), the first
    requests of its 8 threads compiled the event page 8 times over, 0.3 s of CPU per worker
    start (the benchmarks start one per measure; gunicorn recycles them). Here they wait for
    the first one's compile and then find it in the cache.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compiling = threading.RLock()

    def _load_template(self, name, globals):
        with self._compiling:
            return super()._load_template(name, globals)


#: A whole-number placeholder in a message: "%(num)d people".
NUMBER_PLACEHOLDER = re.compile(r"%\((\w+)\)d")


def _with_local_numbers(message: str, variables: dict) -> tuple[str, dict]:
    """The message and its values with every whole number written in the reader's digits
    ("۳ نفر", not "3 نفر" beside a date in Persian digits), grouped as they write them."""
    if not localtime.uses_own_digits():
        return message, variables
    names = {
        name
        for name in NUMBER_PLACEHOLDER.findall(message)
        if isinstance(variables.get(name), int) and not isinstance(variables[name], bool)
    }
    if not names:
        return message, variables
    message = NUMBER_PLACEHOLDER.sub(
        lambda m: f"%({m.group(1)})s" if m.group(1) in names else m.group(0), message
    )
    return message, {**variables, **{n: localtime.format_number(variables[n]) for n in names}}


def _isolated(variables: dict) -> dict:
    """On a right-to-left page, every text value put into a sentence (a name, a title, a
    place) is isolated (U+2068 … U+2069), so a Latin name cannot drag the punctuation
    around it to the wrong side ("London ," in Persian)."""
    return {
        name: f"\u2068{value}\u2069" if type(value) is str else value
        for name, value in variables.items()
    }


def _translated(context, message: str, variables: dict):
    message, variables = _with_local_numbers(message, variables)
    if context.eval_ctx.autoescape and context.get("html_dir") == "rtl":
        variables = _isolated(variables)
    # As Jinja does: the message is ours (a catalog entry); the values are escaped by %.
    return (Markup(message) if context.eval_ctx.autoescape else message) % variables  # noqa: S704  # nosec B704


@pass_context
def _gettext(__context, __string: str, **variables):
    """Jinja's gettext (as Flask-Babel installs it), with numbers in the reader's digits."""
    return _translated(__context, get_translations().ugettext(__string), variables)


@pass_context
def _ngettext(__context, __singular: str, __plural: str, __num: int, **variables):
    variables.setdefault("num", __num)
    message = get_translations().ungettext(__singular, __plural, __num)
    return _translated(__context, message, variables)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.globals.update(
        format_event_datetime=localtime.format_event_datetime,
        format_event_time=localtime.format_event_time,
        zone_label=localtime.zone_label,
        format_number=localtime.format_number,
        absolute_url_for=absolute_url_for,
        administers=access.administers,
        is_site_admin=access.is_site_admin,
        campaign_text=texts.campaign_text,
        event_description=texts.event_description,
        text_direction=text_direction,
        list_separator=localtime.list_separator,
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
