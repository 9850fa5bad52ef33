"""Jinja filters and globals used across templates, and the templates compiled once."""

import threading

from flask import Flask
from flask.templating import Environment

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
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
