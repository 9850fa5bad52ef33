"""Expensive exports built once and kept: campaign feeds (seconds on a large campaign) and
posters. No request can make them build more often than their content changes:

- a feed is built without its host (``feed_template``) once per (campaign, revision, day,
  filters, language), kept in this worker's memory and in ``instance/feeds`` for the other
  workers, and at most one worker builds it at a time (``FeedStore.building``);
- a client can start only so many cold builds (``RATELIMIT_FEED_BUILD``,
  ``RATELIMIT_POSTER_BUILD``, per address): anything already built is served regardless.
"""

from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse_many

from campaign.exports import feeds
from campaign.exports.feed_store import FeedStore
from campaign.exports.feed_template import ORIGIN, FeedTemplate
from campaign.exports.ical import CalendarInfo, events_to_calendar
from campaign.extensions import db, limiter
from campaign.models import Campaign

#: Settings (app config) and their defaults, kept here so the module stands alone.
DEFAULTS = {
    #: Cold builds a client address may start: a 5,000-event feed takes seconds of CPU.
    "RATELIMIT_FEED_BUILD": "10 per minute;60 per hour",
    "RATELIMIT_POSTER_BUILD": "30 per minute;300 per hour",
    "RATELIMIT_SHARE_IMAGE_BUILD": "30 per minute;300 per hour",
    #: The disk cache of built feeds, shared by this host's workers.
    "FEED_CACHE_MAX_FILES": 64,
    "FEED_CACHE_MAX_BYTES": 64 * 1024 * 1024,
    #: Builds running at once on this host (each takes a worker and a core while it
    #: runs); other feeds wait FEED_BUILD_WAIT_SECONDS, then are told to come back.
    "FEED_BUILD_SLOTS": 1,
    #: How long a request waits for a build someone else is running before "busy, come
    #: back" (503): small feeds are built by then; a waiting sync worker serves no one.
    "FEED_BUILD_WAIT_SECONDS": 1.0,
}


#: Feed templates each worker keeps in memory (a 5,000-event campaign's is about 4 MB).
TEMPLATES_IN_MEMORY = 32 * 1024 * 1024


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


class BuildRefused(Exception):
    """Not built now: ``status`` 429 (this client started too many) or 503 (busy)."""

    def __init__(self, status: int, retry_after: int):
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


def build_allowed(limit_name: str) -> bool:
    """One more cold build for this client address, if its limit allows. The limits live
    in the app's rate-limit storage (shared by workers when it is Redis)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    try:
        items = parse_many(setting(limit_name))
        return all(
            limiter.limiter.hit(item, limit_name.lower(), get_remote_address()) for item in items
        )
    except Exception as error:  # a storage outage must not stop the feed: the locks still hold
        current_app.logger.warning("build limit not checked: %r", error)
        return True


# --- campaign feeds ----------------------------------------------------------------------


def _templates() -> feeds.FeedCache:
    """This worker's built feed templates, by build key."""
    return current_app.extensions.setdefault(
        "campaign_feed_templates",
        feeds.FeedCache(TEMPLATES_IN_MEMORY, sizeof=lambda template: template.size),
    )


def feed_store() -> FeedStore:
    store = current_app.extensions.get("campaign_feed_store")
    if store is None:
        store = current_app.extensions["campaign_feed_store"] = FeedStore(
            Path(current_app.instance_path) / "feeds",
            max_files=int(setting("FEED_CACHE_MAX_FILES")),
            max_bytes=int(setting("FEED_CACHE_MAX_BYTES")),
            slots=int(setting("FEED_BUILD_SLOTS")),
        )
    return store


def _kept_template(key: str) -> FeedTemplate | None:
    template = _templates().get(key)
    if template is None:
        data = feed_store().read(key)
        if data is not None:
            try:
                template = FeedTemplate.from_bytes(data)
            except ValueError:
                return None
            _templates().put(key, template)
    return template


def feed_template(
    version: feeds.FeedVersion, filters: feeds.FeedFilters, now: datetime
) -> FeedTemplate:
    """The feed without its host: kept, or built here if no one else is building it."""
    key = version.build_key
    template = _kept_template(key)
    if template is not None:
        return template
    wait = float(setting("FEED_BUILD_WAIT_SECONDS"))
    with feed_store().building(key, wait) as mine:
        template = _kept_template(key)  # built meanwhile by another thread or worker
        if template is not None:
            return template
        if not mine:
            raise BuildRefused(503, retry_after=30)
        if not build_allowed("RATELIMIT_FEED_BUILD"):
            raise BuildRefused(429, retry_after=60)
        template = build_feed_template(version.campaign_id, filters, now)
        _templates().put(key, template)
        feed_store().write(key, template.to_bytes())  # never raises: memory serves anyway
    return template


def build_feed_template(campaign_id: int, filters: feeds.FeedFilters, now: datetime):
    """The campaign feed with ``ORIGIN`` where its links' scheme and host go."""
    campaign = db.session.get_one(Campaign, campaign_id)
    events = feeds.feed_events(campaign, filters, now)
    info = CalendarInfo(
        name=campaign.name,
        description=campaign.description,
        refresh=feeds.FEED_REFRESH,
        url=feeds.site_url("campaigns.show_campaign", ORIGIN, slug=campaign.slug),
    )
    entries = (feeds.event_entry(event, campaign, origin=ORIGIN) for event in events)
    calendar = events_to_calendar(entries, info, stamp=now)
    return FeedTemplate.from_content_lines(calendar.content_lines())
