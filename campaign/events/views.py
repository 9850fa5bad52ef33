from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from campaign.access import (
    administers,
    editable_event_or_404,
    may_edit,
    require,
    visible_event_or_404,
)
from campaign.campaigns.queries import administered_campaigns, all_campaigns, campaign_by_slug
from campaign.events import queries, service
from campaign.events.forms import EVENT_ERROR_MESSAGES, CancelForm, DescriptionsForm, EventForm
from campaign.forms import EmptyForm, button_or_400
from campaign.groups.queries import group_summary
from campaign.groups.service import signup_closed
from campaign.models import Event, EventStatus
from campaign.service_calls import apply_change, form_page
from campaign.texts import other_languages
from campaign.zones import only_zone_of

bp = Blueprint("events", __name__)


@bp.get("/organise")
@login_required
def dashboard():
    return _organiser_page(
        "organise/dashboard.html",
        events=queries.events_of(current_user),
        campaigns=administered_campaigns(current_user),
        pending_count=queries.pending_review_count(current_user),
    )


def _organiser_page(template: str, **lists):
    """An organiser's list of events, each with its buttons."""
    return render_template(template, action_form=EmptyForm(), **lists)


@bp.route("/organise/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    campaigns = all_campaigns()
    if not campaigns:
        flash(_("There is no campaign yet. A site admin creates one first."), "error")
        return redirect(url_for(".dashboard"))
    chosen = campaign_by_slug(request.args.get("campaign", "")) or campaigns[0]
    country = request.args.get("country", "")
    form = EventForm(
        campaigns=campaigns,
        campaign=chosen.id,
        min_group_size=chosen.default_min_group_size,
        max_group_size=chosen.default_max_group_size,
        country=country,
        timezone=only_zone_of(country) or "",
    )
    if _showing_country_zones(form):
        return render_template("events/form.html", form=form, general_errors=[], event=None)
    return form_page(
        "events/form.html",
        form,
        lambda: service.create_event(_chosen(campaigns, form), current_user, form.details()),
        saved=_("Event saved as a draft. Submit it for review when it is ready."),
        then=lambda event: url_for(".show_event", ref=event.ref),
        event=None,
    )


def _showing_country_zones(form: EventForm) -> bool:
    """Without JavaScript, the country's "Show its time zones" button sends the form to be
    shown again, nothing saved, with that country's zones first."""
    if request.method != "POST" or "show_zones" not in request.form:
        return False
    form.show_country_zones()
    return True


def _chosen(campaigns, form: EventForm):
    return next(c for c in campaigns if c.id == form.campaign.data)


@bp.route("/organise/events/<ref>/edit", methods=["GET", "POST"])
@login_required
def edit_event(ref: str):
    event = editable_event_or_404(ref)
    form = (
        EventForm.for_event(event, campaigns=[event.campaign])
        if request.method == "GET"
        else EventForm(campaigns=[event.campaign], saved_place=(event.country, event.timezone))
    )
    if event.status is EventStatus.PUBLISHED and not administers(current_user, event.campaign):
        form.lock_place_and_time(event)  # read-only: "ask an admin"
    if _showing_country_zones(form):
        return render_template("events/form.html", form=form, general_errors=[], event=event)
    return form_page(
        "events/form.html",
        form,
        lambda: service.update_event(event, current_user, form.details()),
        saved=_("Event updated."),
        then=lambda _changed: _after_edit(event),
        event=event,
    )


def _after_edit(event: Event) -> str:
    if event.changed_since_review_at is not None:
        flash(_("The campaign's admins will read the changed text again."), "info")
    return url_for(".show_event", ref=event.ref)


#: Lifecycle buttons: URL action → (service function, message on success).
LIFECYCLE_ACTIONS = {
    "submit": (service.submit_for_review, _l("Submitted for review by a campaign admin.")),
    "withdraw": (service.return_to_draft, _l("The event is a draft again.")),
    "publish": (service.publish_event, _l("Published: the event is now public.")),
    "accept": (service.accept_changes, _l("Change accepted: you vouch for the new text.")),
}


@bp.post("/organise/events/<ref>/<any(submit, withdraw, publish, accept):action>")
@login_required
def change_status(ref: str, action: str):
    event = editable_event_or_404(ref)
    button_or_400()
    change, message = LIFECYCLE_ACTIONS[action]
    if action == "publish":  # only what the admin read: the fingerprint of the page they saw
        change = partial(service.publish_event, seen=request.form.get("seen", ""))
    from_review = request.form.get("back") == "review"
    back = url_for(".review") if from_review else url_for(".show_event", ref=event.ref)
    return apply_change(
        lambda: change(event, current_user), done=message, back=back, messages=EVENT_ERROR_MESSAGES
    )


@bp.route("/organise/events/<ref>/cancel", methods=["GET", "POST"])
@login_required
def cancel(ref: str):
    """Cancelling asks first, on its own page, with the reason the members will read."""
    event = editable_event_or_404(ref)
    form = CancelForm(reason_required=event.is_public)
    from_review = request.values.get("back") == "review"
    back = url_for(".review") if from_review else url_for(".show_event", ref=event.ref)
    if form.validate_on_submit():
        change = partial(service.cancel_event, event, current_user, form.reason.data or "")
        return apply_change(
            change, done=_l("The event is cancelled."), back=back, messages=EVENT_ERROR_MESSAGES
        )
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "events/cancel.html", event=event, form=form, back=back, from_review=from_review
    )
    return page, status


@bp.route("/organise/events/<ref>/translations", methods=["GET", "POST"])
@login_required
def translations(ref: str):
    """A campaign admin writes the description in the campaign's other languages."""
    event = editable_event_or_404(ref)
    require(administers(current_user, event.campaign))
    form_class = DescriptionsForm.in_languages(other_languages(event.campaign))
    saved = {f"description__{c}": t for c, t in (event.description_translations or {}).items()}
    form = form_class(**saved) if request.method == "GET" else form_class()
    return form_page(
        "events/translations.html",
        form,
        lambda: service.translate_description(event, current_user, form.translations()),
        saved=_("Translations saved."),
        then=lambda _none: url_for(".show_event", ref=event.ref),
        event=event,
    )


bp.add_app_template_global(service.review_fingerprint)


@bp.get("/organise/review")
@login_required
def review():
    return _organiser_page(
        "organise/review.html",
        events=queries.pending_review(current_user),
        changed=queries.changed_since_review(current_user),
    )


@bp.get("/e/<ref>")
def show_event(ref: str):
    event = visible_event_or_404(ref)
    return render_template(
        "events/show.html",
        event=event,
        can_edit=may_edit(current_user, event),
        is_campaign_admin=administers(current_user, event.campaign),
        action_form=EmptyForm(),
        summary=group_summary(event),
        signup_closed=signup_closed(event),
    )
