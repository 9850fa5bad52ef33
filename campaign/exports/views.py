"""Calendar files, QR codes and posters: the pure exporters served over HTTP."""

import gzip
import hashlib
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from campaign.access import campaign_or_404, membership_or_404, public_event_or_404, public_group
from campaign.countries import country_name
from campaign.exports import builds, feed_answer, feeds
from campaign.exports.calendar_links import (
    google_calendar_url,
    outlook_calendar_url,
    subscribe_urls,
    webcal_url,
)
from campaign.exports.ical import CalendarEntry, CalendarInfo, events_to_ical
from campaign.exports.poster import PosterText, distinct_places, event_poster_pdf
from campaign.exports.qr import PRINT_PIXELS, qr_png, qr_svg
from campaign.extensions import db
from campaign.groups import service as groups
from campaign.http import private
from campaign.i18n import select_locale
from campaign.limits import shared
from campaign.localtime import format_event_span
from campaign.models import Campaign, Event
from campaign.navigation import absolute_url_for

bp = Blueprint("exports", __name__)

ICS_MIMETYPE = "text/calendar"
#: A QR code's picture never changes for its URL, so caches may keep it for a year.
QR_MAX_AGE = 365 * 24 * 3600
FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"


def feed_cache() -> feeds.FeedCache:
    """This app's built campaign feeds, by ETag (one cache per app, so per worker)."""
    return feed_answer.feed_cache(current_app)


def _ics(body: bytes, filename: str, *, disposition: str = "attachment") -> Response:
    response = Response(body, mimetype=ICS_MIMETYPE)  # Flask adds "; charset=utf-8"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _conditional_ics(entry: CalendarEntry, info: CalendarInfo, filename: str) -> Response:
    """One entry's file, with an ETag, answered 304 when If-None-Match names it.

    Its DTSTAMP is the entry's last change, not the time of the request: in a file without
    METHOD, DTSTAMP means LAST-MODIFIED (RFC 5545 3.8.7.2), and so the same event, group,
    language, catalog and host always make the same bytes. The ETag is their digest, so it
    moves with whatever the file shows (the event's or the group's revision, the language
    and its translations, the campaign's pledge, the host in its links) and never lies."""
    body = events_to_ical([entry], info, stamp=entry.last_modified or _now())
    response = _ics(body, filename)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.make_conditional(request)  # itself, made a 304 when If-None-Match names it
    return response


def _now() -> datetime:
    return datetime.now(UTC)


@bp.app_context_processor
def calendar_link_helpers() -> dict:
    return {
        "event_calendar_links": event_calendar_links,
        "member_calendar_links": member_calendar_links,
    }


def feed_url_language() -> str:
    """The language to put in the calendar URLs a page hands out (``?lang=``): the page's.
    Calendar servers fetch them with no cookie and no Accept-Language (``feeds.feed_locale``)."""
    return str(get_locale() or "en")


def in_feed_language(view):
    """Answer in the calendar file's language (``feeds.feed_locale``): every text of the
    file and of its error answers."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with force_locale(feeds.feed_locale(request, current_app.config["LANGUAGES"])):
            return view(*args, **kwargs)

    return wrapper


def event_calendar_links(event: Event) -> dict[str, str]:
    entry = feeds.event_entry(event, event.campaign)
    language = feed_url_language()
    feed = absolute_url_for("exports.campaign_calendar", slug=event.campaign.slug, lang=language)
    return {
        "ics": url_for("exports.event_calendar", ref=event.ref, lang=language),
        "google": google_calendar_url(entry),
        "outlook": outlook_calendar_url(entry),
        # The page with every way to subscribe (a webcal link does nothing on Android).
        "subscribe": url_for("exports.subscribe_campaign", slug=event.campaign.slug),
        "feed": feed,
    }


def member_calendar_links(membership, token: str) -> dict[str, str]:
    entry = feeds.member_entry(membership, token, private=False)
    language = feed_url_language()
    feed = absolute_url_for("exports.member_calendar", token=token, lang=language)
    return {
        "ics": url_for("exports.member_calendar", token=token, lang=language),
        "google": google_calendar_url(entry),
        "outlook": outlook_calendar_url(entry),
        "subscribe": webcal_url(feed),
        "feed": feed,
    }


# --- calendars ---------------------------------------------------------------------------


@bp.get("/e/<ref>/calendar.ics")
@in_feed_language
def event_calendar(ref: str):
    event = public_event_or_404(ref)
    info = CalendarInfo(name=event.title)
    entry = feeds.event_entry(event, event.campaign)
    response = _conditional_ics(entry, info, f"{event.ref}.ics")
    response.cache_control.no_cache = True
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.get("/c/<slug>/calendar.ics")
@in_feed_language
def campaign_calendar(slug: str):
    try:
        filters = feeds.FeedFilters.from_args(request.args)
    except feeds.FeedFilterError as error:
        message = _("This calendar filter is not valid: %(name)s.", name=error.parameter)
        return Response(message + "\n", status=400, mimetype="text/plain")
    now = _now()
    origin = feeds.feed_origin(current_app.config, request.environ)
    version = feeds.feed_version(slug, filters, origin, now)
    if version is None:
        abort(404)
    # Answered from one primary-key read: calendar apps poll often and mostly get this.
    # (Usually answered before Flask, by campaign.exports.fastpath, by the same function.)
    reply = feed_answer.answer(version, slug, request.environ, feed_cache(), now)
    if reply.body is None:
        try:
            template = builds.feed_template(version, filters, now)
        except builds.BuildRefused as refused:
            return _come_back_later(refused)
        body = template.render(origin)  # this host in the links: no build
        if reply.gzipped:
            body = gzip.compress(body, 6)
        reply = feed_answer.built(version, slug, reply, body, feed_cache(), now)
    return Response(reply.body, status=reply.status, headers=reply.headers)


def _come_back_later(refused: "builds.BuildRefused", message: str | None = None) -> Response:
    if message is None and refused.status == 429:
        message = _("Too many new calendars asked from your address. Try again in a minute.")
    elif message is None:
        message = _("This calendar is being prepared. Try again in a minute.")
    response = Response(message + "\n", status=refused.status, mimetype="text/plain")
    response.headers["Retry-After"] = str(refused.retry_after)
    response.cache_control.no_store = True
    return response


def _build_campaign_feed(campaign_id: int, filters: feeds.FeedFilters, now: datetime) -> bytes:
    """A cold build of the campaign feed for this request's host (``make bench`` times it)."""
    template = builds.build_feed_template(campaign_id, filters, now)
    return template.render(feeds.feed_origin(current_app.config, request.environ))


@bp.get("/c/<slug>/subscribe")
def subscribe_campaign(slug: str):
    """The page the campaign's QR code opens: a phone imports an https .ics file once, so
    this page offers the feed as a subscription in each kind of calendar. The filters of
    the feed (country, city, kind of place) pass through to it."""
    campaign = campaign_or_404(slug)
    try:
        filters = feeds.FeedFilters.from_args(request.args)
    except feeds.FeedFilterError as error:
        message = _("This calendar filter is not valid: %(name)s.", name=error.parameter)
        return render_template("errors.html", code=400, message=message), 400
    chosen = {
        "country": filters.country,
        "city": filters.city,
        "venue_type": filters.venue_type.value if filters.venue_type else "",
    }
    chosen = {name: value for name, value in chosen.items() if value}
    feed = absolute_url_for(
        "exports.campaign_calendar", slug=campaign.slug, **chosen, lang=feed_url_language()
    )
    return render_template(
        "exports/subscribe.html",
        campaign=campaign,
        links=subscribe_urls(feed, campaign.name),
        filtered=bool(chosen),
    )


@bp.get("/me/<token>/calendar.ics")
@private
@in_feed_language
def member_calendar(token: str):
    membership = membership_or_404(token)
    entry = feeds.member_entry(membership, token)
    info = CalendarInfo(name=entry.summary, refresh=feeds.MEMBER_FEED_REFRESH)
    return _conditional_ics(entry, info, "my-group.ics")


# --- QR codes ----------------------------------------------------------------------------


#: ``?size=`` of a PNG code: screen (the default, about 400 px) or print (1,200 px or more).
QR_PNG_PIXELS = {"screen": 0, "print": PRINT_PIXELS}


def _qr(url: str, image_format: str, *, public: bool = True) -> Response:
    if image_format == "svg":
        response = Response(qr_svg(url), mimetype="image/svg+xml")
    elif image_format == "png":
        size = request.args.get("size", "screen")
        if size not in QR_PNG_PIXELS:
            message = _("A QR code's size is screen or print.")
            return Response(message + "\n", status=400, mimetype="text/plain")
        response = Response(qr_png(url, min_pixels=QR_PNG_PIXELS[size]), mimetype="image/png")
    else:
        abort(404)
    # Shared caches may keep a code only when its URL does not come from the request's
    # Host header, which anyone can forge (a poisoned cache would hand out a trap link).
    if public and current_app.config.get("SERVER_NAME"):
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    response.cache_control.max_age = QR_MAX_AGE
    response.cache_control.immutable = True
    return response


@bp.get("/e/<ref>/qr.<image_format>")
def event_qr(ref: str, image_format: str):
    event = public_event_or_404(ref)
    return _qr(absolute_url_for("events.show_event", ref=event.ref), image_format)


@bp.get("/j/<code>/qr.<image_format>")
@shared("JOIN_CODES")
def group_qr(code: str, image_format: str):
    if public_group(code) is None:
        abort(404)
    # The code as asked, not the group's current one: a merged group's old code still
    # leads to /j/<old code>, which redirects, so the picture never changes for this URL.
    url = absolute_url_for("groups.join_by_code", code=groups.normalise_code(code))
    # Private: a shared cache has no business keeping a way into a group.
    return _qr(url, image_format, public=False)


@bp.get("/c/<slug>/qr.<image_format>")
def campaign_qr(slug: str, image_format: str):
    if db.session.scalar(db.select(Campaign.id).where(Campaign.slug == slug)) is None:
        abort(404)
    # The subscribe page, not the .ics file: a phone that opens an https .ics imports it
    # once, and would never see a change or a cancellation.
    return _qr(absolute_url_for("exports.subscribe_campaign", slug=slug), image_format)


# --- poster ------------------------------------------------------------------------------


#: Posters kept per worker (each takes up to half a second to make), by what they show.
POSTER_CACHE_BYTES = 16 * 1024 * 1024


def poster_cache() -> feeds.FeedCache:
    return current_app.extensions.setdefault(
        "campaign_poster_cache", feeds.FeedCache(POSTER_CACHE_BYTES, sizeof=len)
    )


@bp.get("/e/<ref>/poster.pdf")
def event_poster(ref: str):
    event = public_event_or_404(ref)
    text = poster_text(event)
    # By revision and language, and by every text it shows (the campaign's name and pledge,
    # the host in its links), so no edit is ever printed from an old copy.
    shown = hashlib.sha256(repr(text).encode()).hexdigest()
    key = f"{event.id}:{event.revision}:{select_locale()}:{shown}"
    pdf = poster_cache().get(key)
    if pdf is None:
        if not builds.build_allowed("RATELIMIT_POSTER_BUILD"):
            message = _("Too many new posters asked from your address. Try again in a minute.")
            return _come_back_later(builds.BuildRefused(429, retry_after=60), message)
        pdf = event_poster_pdf(text, FONT_DIR)
        poster_cache().put(key, pdf)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="poster-{event.ref}.pdf"'
    response.cache_control.no_cache = True
    return response


def poster_text(event: Event) -> PosterText:
    when = format_event_span(event.starts_at, event.ends_at, event.zone)
    title = event.title
    if event.status.value == "cancelled":
        title = _("CANCELLED — do not go: %(title)s", title=event.title)
    return PosterText(
        campaign=event.campaign.name,
        title=title,
        when=when,
        where=distinct_places(
            [event.venue_name, event.address, event.city, country_name(event.country)]
        ),
        headline=_("Never go alone — join a group of at least %(min)d", min=event.min_group_size),
        scan=_("Scan to join a group"),
        join_url=absolute_url_for("groups.join_event", ref=event.ref),
        code_instructions=_(
            "Have a group code from a friend? Open %(url)s and type it.",
            url=absolute_url_for("groups.find_code"),
        ),
        footer=feeds.first_line(event.campaign.pledge),
        language=select_locale(),
    )
