from functools import partial

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from campaign.campaigns.queries import administered_campaigns, all_campaigns, campaign_by_slug
from campaign.events import queries, service
from campaign.events.forms import EventForm
from campaign.extensions import db
from campaign.forms import EmptyForm
from campaign.groups.queries import group_summary
from campaign.groups.service import signup_closed
from campaign.models import Event

bp = Blueprint("events", __name__)


def _editable_event_or_404(ref: str) -> Event:
    event = queries.event_by_ref(ref)
    # 404 rather than 403: whether someone else's draft exists is nobody else's business.
    if event is None or not event.can_be_edited_by(current_user):
        abort(404)
    return event


@bp.get("/organise")
@login_required
def dashboard():
    return render_template(
        "organise/dashboard.html",
        events=queries.events_of(current_user),
        campaigns=administered_campaigns(current_user),
        pending_count=queries.pending_review_count(current_user),
        action_form=EmptyForm(),
    )


@bp.route("/organise/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    campaigns = all_campaigns()
    if not campaigns:
        flash(_("There is no campaign yet. A site admin creates one first."), "error")
        return redirect(url_for(".dashboard"))
    chosen = campaign_by_slug(request.args.get("campaign", "")) or campaigns[0]
    form = EventForm(
        campaigns=campaigns,
        campaign=chosen.id,
        min_group_size=chosen.default_min_group_size,
        max_group_size=chosen.default_max_group_size,
        timezone="UTC",
    )
    general_errors = []
    if form.validate_on_submit():
        campaign = next(c for c in campaigns if c.id == form.campaign.data)
        try:
            event = service.create_event(campaign, current_user, form.details())
        except service.EventError as error:
            db.session.rollback()
            general_errors = form.show_problems(error.problems)
        else:
            db.session.commit()
            flash(_("Event saved as a draft. Submit it for review when it is ready."), "success")
            return redirect(url_for(".show_event", ref=event.ref))
    return render_template("events/form.html", form=form, event=None, general_errors=general_errors)


@bp.route("/organise/events/<ref>/edit", methods=["GET", "POST"])
@login_required
def edit_event(ref: str):
    event = _editable_event_or_404(ref)
    form = (
        EventForm.for_event(event, campaigns=[event.campaign])
        if request.method == "GET"
        else EventForm(campaigns=[event.campaign])
    )
    general_errors = []
    if form.validate_on_submit():
        try:
            service.update_event(event, current_user, form.details())
        except service.EventError as error:
            db.session.rollback()
            general_errors = form.show_problems(error.problems)
        else:
            db.session.commit()
            flash(_("Event updated."), "success")
            if event.changed_since_review_at is not None:
                flash(_("The campaign's admins will read the changed text again."), "info")
            return redirect(url_for(".show_event", ref=event.ref))
    return render_template(
        "events/form.html", form=form, event=event, general_errors=general_errors
    )


#: Lifecycle buttons: URL action → (service function, message on success).
LIFECYCLE_ACTIONS = {
    "submit": (service.submit_for_review, _l("Submitted for review by a campaign admin.")),
    "withdraw": (service.return_to_draft, _l("The event is a draft again.")),
    "publish": (service.publish_event, _l("Published: the event is now public.")),
    "cancel": (service.cancel_event, _l("The event is cancelled.")),
    "accept": (service.accept_changes, _l("Change accepted: you vouch for the new text.")),
}


@bp.post("/organise/events/<ref>/<any(submit, withdraw, publish, cancel, accept):action>")
@login_required
def change_status(ref: str, action: str):
    event = _editable_event_or_404(ref)
    if not EmptyForm().validate_on_submit():
        abort(400)
    change, message = LIFECYCLE_ACTIONS[action]
    if action == "publish":  # only what the admin read: the fingerprint of the page they saw
        change = partial(service.publish_event, seen=request.form.get("seen", ""))
    try:
        change(event, current_user)
    except service.EventError as error:
        db.session.rollback()
        if "changed_while_reviewing" in error.codes:
            flash(
                _("The event changed while you were reading it. Read it again, then publish."),
                "error",
            )
        else:
            flash(_("That is not possible for this event now."), "error")
    else:
        db.session.commit()
        flash(message, "success")
    if request.form.get("back") == "review":
        return redirect(url_for(".review"))
    return redirect(url_for(".show_event", ref=event.ref))


bp.add_app_template_global(service.review_fingerprint)


@bp.get("/organise/review")
@login_required
def review():
    return render_template(
        "organise/review.html",
        events=queries.pending_review(current_user),
        changed=queries.changed_since_review(current_user),
        action_form=EmptyForm(),
    )


@bp.get("/e/<ref>")
def show_event(ref: str):
    event = queries.event_by_ref(ref)
    if event is None:
        abort(404)
    can_edit = event.can_be_edited_by(current_user)
    if not event.is_public and not can_edit:
        abort(404)
    return render_template(
        "events/show.html",
        event=event,
        can_edit=can_edit,
        is_campaign_admin=event.campaign.is_admin(current_user),
        action_form=EmptyForm(),
        summary=group_summary(event),
        signup_closed=signup_closed(event),
    )
