"""Jinja filters and globals used across templates."""

from flask import Flask

from campaign import access, localtime
from campaign.countries import country_name
from campaign.navigation import absolute_url_for


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
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
