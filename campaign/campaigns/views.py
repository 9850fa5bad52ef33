from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.campaigns import queries, service
from campaign.campaigns.forms import CampaignForm
from campaign.events.queries import upcoming_public_events
from campaign.extensions import db

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def index():
    campaigns = queries.all_campaigns()
    if len(campaigns) == 1:
        return redirect(url_for(".show_campaign", slug=campaigns[0].slug))
    return render_template("campaigns/index.html", campaigns=campaigns)


@bp.get("/c/<slug>")
def show_campaign(slug: str):
    campaign = queries.campaign_by_slug(slug)
    if campaign is None:
        abort(404)
    return render_template(
        "campaigns/show.html", campaign=campaign, events=upcoming_public_events(campaign)
    )


@bp.route("/organise/campaigns/new", methods=["GET", "POST"])
@login_required
def new_campaign():
    if not current_user.is_admin:
        abort(403)
    form = CampaignForm(default_min_group_size=3, default_max_group_size=8, languages="en")
    general_errors = []
    if form.validate_on_submit():
        try:
            campaign = service.create_campaign(current_user, form.details())
        except service.CampaignError as error:
            db.session.rollback()
            general_errors = form.show_problems(error.problems)
        else:
            db.session.commit()
            flash(_("Campaign created."), "success")
            return redirect(url_for(".show_campaign", slug=campaign.slug))
    return render_template(
        "campaigns/form.html", form=form, campaign=None, general_errors=general_errors
    )


@bp.route("/organise/campaigns/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_campaign(slug: str):
    campaign = queries.campaign_by_slug(slug)
    if campaign is None or not campaign.is_admin(current_user):
        abort(404)
    form = CampaignForm.for_campaign(campaign) if request.method == "GET" else CampaignForm()
    general_errors = []
    if form.validate_on_submit():
        try:
            service.update_campaign(campaign, current_user, form.details())
        except service.CampaignError as error:
            db.session.rollback()
            general_errors = form.show_problems(error.problems)
        else:
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for(".show_campaign", slug=campaign.slug))
    return render_template(
        "campaigns/form.html", form=form, campaign=campaign, general_errors=general_errors
    )
