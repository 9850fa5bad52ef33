"""Who may see, change and run what: the one place these rules live.

- Predicates answer for one person and one thing (``may_edit``, ``administers``, ...).
- ``administered_by`` limits a query to the campaigns an organiser administers.
- Loaders open what a URL names for the signed-in person, or answer 404: whether someone
  else's draft or campaign exists is nobody else's business.
- ``require`` is how a service refuses: with the one ``NotAllowed``.
"""

from flask import abort, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, select

from campaign.extensions import db
from campaign.lookup import (
    campaign_by_slug,
    departed_link,
    event_by_ref,
    group_by_code,
    membership_by_token,
)
from campaign.models import Campaign, Event, Slogan, campaign_admin
from campaign.models.groups import Group, Membership
from campaign.service_errors import ServiceError


class NotAllowed(ServiceError):
    """Someone asked for what the rules do not let them do, in any feature."""

    def __init__(self, **detail):
        super().__init__("not_allowed", None, **detail)


# --- predicates ----------------------------------------------------------------------------


def is_signed_in(person) -> bool:
    return bool(getattr(person, "is_authenticated", False))


def is_site_admin(person) -> bool:
    """May create campaigns, and administers every one."""
    return is_signed_in(person) and bool(person.is_admin)


def administers(person, campaign: Campaign) -> bool:
    """Reviews and publishes the campaign's events, keeps its slogans, sees its contact log."""
    if not is_signed_in(person):
        return False
    return bool(person.is_admin) or any(admin.id == person.id for admin in campaign.admins)


def may_edit(person, event: Event) -> bool:
    """The event's own organiser, or an admin of its campaign: sees its board and contacts."""
    if not is_signed_in(person):
        return False
    return person.id == event.organiser_id or administers(person, event.campaign)


def may_see(person, event: Event) -> bool:
    """A public event is for anyone; any other only for those who may edit it."""
    return event.is_public or may_edit(person, event)


def require(allowed: bool, **detail) -> None:
    """A service's refusal when a predicate says no."""
    if not allowed:
        raise NotAllowed(**detail)


# --- the query scope -----------------------------------------------------------------------


def administered_by(query: Select, organiser, campaign_id=Event.campaign_id) -> Select:
    """``query`` limited to rows of the campaigns ``organiser`` administers (a site admin:
    every campaign). ``campaign_id`` is the column that names the row's campaign."""
    if is_site_admin(organiser):
        return query
    theirs = select(campaign_admin.c.campaign_id).where(
        campaign_admin.c.organiser_id == organiser.id
    )
    return query.where(campaign_id.in_(theirs))


# --- loaders (for views: the signed-in person is ``current_user``) --------------------------


def _found(thing, allowed=lambda _thing: True):
    if thing is None or not allowed(thing):
        abort(404)
    return thing


def event_or_404(ref: str) -> Event:
    return _found(event_by_ref(ref))


def public_event_or_404(ref: str) -> Event:
    return _found(event_by_ref(ref), lambda event: event.is_public)


def visible_event_or_404(ref: str) -> Event:
    return _found(event_by_ref(ref), lambda event: may_see(current_user, event))


def editable_event_or_404(ref: str) -> Event:
    return _found(event_by_ref(ref), lambda event: may_edit(current_user, event))


def campaign_or_404(slug: str) -> Campaign:
    return _found(campaign_by_slug(slug))


def admin_campaign_or_404(slug: str) -> Campaign:
    return _found(campaign_by_slug(slug), lambda campaign: administers(current_user, campaign))


def slogan_of_or_404(campaign: Campaign, slogan_id: int) -> Slogan:
    slogan = db.session.get(Slogan, slogan_id) if slogan_id < 2**31 else None
    return _found(slogan, lambda slogan: slogan.campaign_id == campaign.id)


def site_admin_or_403() -> None:
    if not is_site_admin(current_user):
        abort(403)


def public_group(code: str) -> Group | None:
    """The group a join code leads to, when its event is public."""
    group = group_by_code(code)
    return group if group is not None and group.event.is_public else None


def membership_or_404(token: str, *, verified: bool = True) -> Membership:
    """The member behind a /me/ link, or a 404 that also answers a retry whose first send
    took effect (a leave, a removal): it says what an unknown link can mean, for any link.

    ``verified``: only a member who proved their contact (the default) may see anything
    of the group: its calendar, signs, members, meeting point. The pages that let a
    newcomer confirm (or give up) their seat pass False."""
    membership = membership_by_token(token)
    if membership is not None and verified and membership.verified_at is None:
        abort(404)
    if membership is None:
        departed = departed_link(token)
        if departed is not None:
            page = render_template("groups/departed.html", departed=departed)
            abort(make_response(page, 404))
        message = _(
            "This link does not lead to a group (any more). If you left the group, or its "
            "leader removed you, that is done. To join again, open the event's page."
        )
        abort(make_response(render_template("errors.html", code=404, message=message), 404))
    return membership
