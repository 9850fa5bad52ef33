from dataclasses import replace

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from campaign.access import admin_campaign_or_404, campaign_or_404, site_admin_or_403
from campaign.campaigns import queries, search, service
from campaign.campaigns.forms import CampaignForm
from campaign.groups.queries import contact_log as contact_log_entries
from campaign.http import private
from campaign.models import ABSOLUTE_MIN_GROUP_SIZE, DEFAULT_MAX_GROUP_SIZE, VenueType
from campaign.models.campaigns import DEFAULT_RETENTION_DAYS
from campaign.service_calls import form_page
from campaign.texts import other_languages

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def index():
    campaigns = queries.all_campaigns()
    if len(campaigns) == 1:
        return redirect(url_for(".show_campaign", slug=campaigns[0].slug))
    return render_template("campaigns/index.html", campaigns=campaigns)


#: What the page says about a search parameter it could not use.
SEARCH_PROBLEMS = {
    "too_long": _l("That search is too long: it was shortened."),
    "unknown_country": _l("That country is not known: showing every country."),
    "unknown_venue_type": _l("That kind of place is not known: showing every kind."),
    "bad_date": _l("Dates look like 2026-12-05: that one was left out."),
    "dates_reversed": _l("The end date is before the start date: it was left out."),
    "bad_position": _l("Your position could not be read: showing events by date."),
    "bad_page": _l("There is no such page: showing the first."),
}


@bp.get("/c/<slug>")
def show_campaign(slug: str):
    campaign = campaign_or_404(slug)
    params = search.parse_search(request.args)
    result = search.search_events(campaign, params)
    problems = [str(SEARCH_PROBLEMS[code]) for _, code in params.problems]
    if params.page > result.pages:
        problems.append(str(SEARCH_PROBLEMS["bad_page"]))
        params = replace(params, page=1)
        result = search.search_events(campaign, params)
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        params=params,
        result=result,
        problems=problems,
        by_country=search.events_by_country(campaign),
        venue_types=list(VenueType),
        page_url=lambda page: url_for(
            ".show_campaign", slug=slug, **{**request.args.to_dict(), "page": page}
        ),
    )


@bp.get("/c/<slug>/map.json")
def map_points(slug: str):
    """The matching events with coordinates, for the map (same filters as the page)."""
    campaign = campaign_or_404(slug)
    params = search.parse_search(request.args)
    return {
        "events": [
            {
                "title": title,
                "city": city,
                "lat": latitude,
                "lon": longitude,
                "url": url_for("events.show_event", ref=ref),
            }
            for ref, title, city, latitude, longitude in search.map_points(campaign, params)
        ]
    }


#: How long a browser keeps a logo or colour fetched without its version (?v=); with the
#: current version the URL never changes meaning, so for a year.
BRANDING_MAX_AGE = 3600
VERSIONED_MAX_AGE = 365 * 24 * 3600


def _cached(response: Response, version: str) -> Response:
    """Public (neither depends on the request's Host or cookies), with an ETag."""
    response.set_etag(version)
    response.cache_control.public = True
    if request.args.get("v") == version:
        response.cache_control.max_age = VERSIONED_MAX_AGE
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = BRANDING_MAX_AGE
    response.make_conditional(request)  # in place: a 304 when the ETag matches
    return response


@bp.get("/c/<slug>/logo.png")
def logo(slug: str):
    """The campaign's logo, as the app re-encoded it (campaign/campaigns/branding.py)."""
    campaign = campaign_or_404(slug)
    if not campaign.logo_version:
        abort(404)
    if request.if_none_match.contains(campaign.logo_version):
        return _cached(Response(status=304), campaign.logo_version)
    return _cached(Response(campaign.logo, mimetype="image/png"), campaign.logo_version)


@bp.get("/c/<slug>/theme.css")
def theme(slug: str):
    """The header's colour: a stylesheet, as the Content-Security-Policy allows no inline
    style."""
    campaign = campaign_or_404(slug)
    if not campaign.colour:
        abort(404)
    css = f".site-header.branded {{ --campaign-colour: {campaign.colour}; }}\n"
    return _cached(Response(css, mimetype="text/css"), campaign.colour.lstrip("#"))


@bp.route("/organise/campaigns/new", methods=["GET", "POST"])
@login_required
def new_campaign():
    site_admin_or_403()
    form = CampaignForm(
        default_min_group_size=ABSOLUTE_MIN_GROUP_SIZE,
        default_max_group_size=DEFAULT_MAX_GROUP_SIZE,
        retention_days=DEFAULT_RETENTION_DAYS,
        languages="en",
    )
    return form_page(
        "campaigns/form.html",
        form,
        lambda: service.create_campaign(current_user, form.details()),
        saved=_("Campaign created."),
        then=lambda campaign: url_for(".show_campaign", slug=campaign.slug),
        campaign=None,
    )


@bp.route("/organise/campaigns/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_campaign(slug: str):
    campaign = admin_campaign_or_404(slug)
    form_class = CampaignForm.in_languages(other_languages(campaign))
    form = form_class.for_campaign(campaign) if request.method == "GET" else form_class()
    return form_page(
        "campaigns/form.html",
        form,
        lambda: service.update_campaign(campaign, current_user, form.details()),
        saved=_("Campaign saved."),
        then=lambda _none: url_for(".show_campaign", slug=campaign.slug),
        campaign=campaign,
    )


@bp.get("/organise/campaigns/<slug>/contact-log")
@login_required
@private
def contact_log(slug: str):
    """Who saw or exported volunteers' contacts, when, for which event: for campaign admins."""
    campaign = admin_campaign_or_404(slug)
    return render_template(
        "groups/contact_log.html", campaign=campaign, entries=contact_log_entries(campaign)
    )
