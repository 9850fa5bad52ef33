"""Link previews: the share pictures of public events and campaigns, and what each public
page tells messengers and social sites about itself (Open Graph and Twitter tags, made by
``templates/_share_tags.html`` from a ``Preview``).

Only what the event page shows anyone goes into a preview: never a group's name, members
or meeting point, not even on the invite link ``/j/<code>``.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from babel.core import get_global
from flask import Blueprint, Response, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified

from campaign.access import campaign_or_404, public_event_or_404
from campaign.exports import builds, feeds
from campaign.exports.share_image import HEIGHT, SHARE_FORMAT, WIDTH, share_page, share_png
from campaign.exports.share_image import shorten as _shorten
from campaign.i18n import select_locale
from campaign.localtime import format_event_datetime, format_event_span, format_event_time
from campaign.models import Campaign, Event, EventStatus
from campaign.models.groups import Group
from campaign.navigation import absolute_url_for
from campaign.slogans.render import SignPage

bp = Blueprint("share", __name__)

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
#: Share pictures kept per worker (each takes about half a second to make), by what they show.
SHARE_CACHE_BYTES = 16 * 1024 * 1024
#: The Open Graph locale (language_TERRITORY) of each page language: where most of its
#: readers of this campaign live. Others get their likeliest territory from CLDR.
OG_LOCALES = {"en": "en_GB", "fa": "fa_AF", "ur": "ur_PK"}  # Dari: Afghan readers
#: The longest og:description (messengers show two or three lines at most).
MAX_DESCRIPTION = 300


def og_locale(language: str) -> str:
    """e.g. "fa_AF" for "fa" (Open Graph wants a territory; "fa" alone is ignored)."""
    if language in OG_LOCALES:
        return OG_LOCALES[language]
    likely = get_global("likely_subtags").get(language, "")  # e.g. "ps_Arab_AF"
    parts = likely.split("_")
    return f"{parts[0]}_{parts[-1]}" if len(parts) > 1 else language


# --- what a picture shows --------------------------------------------------------------


def _title(event: Event) -> str:
    if event.status is EventStatus.CANCELLED:
        return _("CANCELLED: %(title)s", title=event.title)
    return event.title


def _cancelled(event: Event) -> str:
    if event.status is EventStatus.CANCELLED:
        return _("This event is cancelled. Do not go.")
    return ""


def _place(event: Event) -> str:
    return ", ".join(part for part in (event.venue_name, event.city) if part)


def event_picture(event: Event, language: str) -> SignPage:
    """The event's title, its day and hours where it happens, and its campaign."""
    when = format_event_datetime(event.starts_at, event.zone)
    when += "\N{EN DASH}" + format_event_time(event.ends_at, event.zone)
    return share_page(_title(event), f"{when} · {_place(event)}", event.campaign.name, language)


def _tagline() -> str:
    return _("Never go alone. Stay calm. Let the signs speak.")


def campaign_picture(campaign: Campaign, language: str) -> SignPage:
    """The campaign's name and the first line of its description (else the tagline)."""
    about = feeds.first_line(campaign.description)
    if about:
        return share_page(campaign.name, about, _tagline(), language)
    return share_page(campaign.name, _tagline(), "", language)


def site_picture(language: str) -> SignPage:
    return share_page(_("Campaign organiser"), _tagline(), "", language)


def picture_version(kind: str, page: SignPage) -> str:
    """The picture's ETag: from everything it shows (texts, fonts, layout version), so an
    edit, a new translation or a new layout is never served from an old copy."""
    shown = repr((SHARE_FORMAT, kind, page)).encode()
    return hashlib.sha256(shown).hexdigest()[:32]


# --- the pictures ----------------------------------------------------------------------


def share_cache() -> feeds.FeedCache:
    return current_app.extensions.setdefault(
        "campaign_share_cache", feeds.FeedCache(SHARE_CACHE_BYTES, sizeof=len)
    )


def _asked_language() -> tuple[str, bool]:
    """The picture's language: ``?lang=`` (what the page's tags ask for), else the
    visitor's. True when it came from the request's headers (the answer then varies)."""
    asked = request.args.get("lang", "")
    if asked in current_app.config["LANGUAGES"]:
        return asked, False
    return select_locale(), True


def _picture(kind: str, make_page) -> Response:
    language, negotiated = _asked_language()
    with force_locale(language):
        page = make_page(language)
    etag = picture_version(kind, page)
    if request.headers.get("If-None-Match") and not is_resource_modified(
        request.environ, etag=etag
    ):
        response = Response(status=304)
    else:
        png = share_cache().get(etag)
        if png is None:
            if not builds.build_allowed("RATELIMIT_SHARE_IMAGE_BUILD"):
                return _too_many()
            png = share_png(page, FONT_DIR)
            share_cache().put(etag, png)
        response = Response(png, mimetype="image/png")
    response.set_etag(etag)
    # Public: the picture names no host and nothing personal. Checked on each use (a
    # cancellation must show), which costs a 304.
    response.cache_control.public = True
    response.cache_control.no_cache = True
    if negotiated:
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def _too_many() -> Response:
    message = _("Too many new pictures asked from your address. Try again in a minute.")
    response = Response(message + "\n", status=429, mimetype="text/plain")
    response.headers["Retry-After"] = "60"
    response.cache_control.no_store = True
    return response


@bp.get("/e/<ref>/share.png")
def event_image(ref: str):
    event = public_event_or_404(ref)
    return _picture(f"event-{event.id}", lambda language: event_picture(event, language))


@bp.get("/c/<slug>/share.png")
def campaign_image(slug: str):
    campaign = campaign_or_404(slug)
    return _picture(f"campaign-{campaign.id}", lambda lang: campaign_picture(campaign, lang))


@bp.get("/share.png")
def site_image():
    return _picture("site", site_picture)


# --- the tags --------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """What one page says about itself to link previews."""

    title: str
    description: str
    url: str
    site_name: str
    image: str
    image_alt: str


def _image_url(endpoint: str, kind: str, page: SignPage, language: str, **values) -> str:
    # The language in the URL: a crawler fetches the picture without the sharer's cookie.
    # The version too: messengers keep a picture by its URL for weeks.
    version = picture_version(kind, page)[:12]
    return absolute_url_for(endpoint, lang=language, v=version, **values)


def _alt(page: SignPage) -> str:
    return " · ".join(text for text in (page.text, page.second_text, page.footer) if text)


def _event_image(event: Event) -> tuple[str, str]:
    language = select_locale()
    page = event_picture(event, language)
    url = _image_url("share.event_image", f"event-{event.id}", page, language, ref=event.ref)
    return url, _alt(page)


def _event_line(event: Event) -> str:
    return f"{format_event_span(event.starts_at, event.ends_at, event.zone)} · {_place(event)}"


def _description(*parts: str) -> str:
    return _shorten(" · ".join(part for part in parts if part), MAX_DESCRIPTION)


def event_preview(event: Event) -> Preview:
    cancelled = _cancelled(event)
    image, alt = _event_image(event)
    return Preview(
        title=_title(event),
        description=_description(cancelled, _event_line(event)),
        url=absolute_url_for("events.show_event", ref=event.ref),
        site_name=event.campaign.name,
        image=image,
        image_alt=alt,
    )


def join_preview(event: Event) -> Preview:
    """The join page (the poster's QR code): the event, and what joining means."""
    headline = _("Never go alone — join a group of at least %(min)d", min=event.min_group_size)
    cancelled = _cancelled(event)
    image, alt = _event_image(event)
    return Preview(
        title=f"{_('Join a group')} · {_title(event)}",
        description=_description(cancelled, _event_line(event), headline),
        url=absolute_url_for("groups.join_event", ref=event.ref),
        site_name=event.campaign.name,
        image=image,
        image_alt=alt,
    )


def invite_preview(group: Group) -> Preview:
    """An invitation to one group: its event and campaign only. Nothing of the group
    itself (name, members, meeting point or time) is anyone's business before they join."""
    event = group.event
    cancelled = _cancelled(event)
    invited = _("You are invited to join a group for this event. Never go alone.")
    image, alt = _event_image(event)
    return Preview(
        title=f"{_('Join a group')} · {_title(event)}",
        description=_description(cancelled, invited),
        url=absolute_url_for("groups.join_by_code", code=group.join_code),
        site_name=event.campaign.name,
        image=image,
        image_alt=alt,
    )


def campaign_preview(campaign: Campaign) -> Preview:
    language = select_locale()
    page = campaign_picture(campaign, language)
    return Preview(
        title=campaign.name,
        description=_description(feeds.first_line(campaign.description) or _tagline()),
        url=absolute_url_for("campaigns.show_campaign", slug=campaign.slug),
        site_name=campaign.name,
        image=_image_url(
            "share.campaign_image", f"campaign-{campaign.id}", page, language, slug=campaign.slug
        ),
        image_alt=_alt(page),
    )


def site_preview(endpoint: str, title: str, **values) -> Preview:
    """A page of the site itself (the list of campaigns, the group-code box)."""
    language = select_locale()
    page = site_picture(language)
    return Preview(
        title=title,
        description=_tagline(),
        url=absolute_url_for(endpoint, **values),
        site_name=_("Campaign organiser"),
        image=_image_url("share.site_image", "site", page, language),
        image_alt=_alt(page),
    )


@bp.app_context_processor
def preview_helpers() -> dict:
    return {
        "og_locale": og_locale,
        "event_preview": event_preview,
        "join_preview": join_preview,
        "invite_preview": invite_preview,
        "campaign_preview": campaign_preview,
        "site_preview": site_preview,
        "share_image_size": (WIDTH, HEIGHT),
    }
