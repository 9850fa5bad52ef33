"""Volunteers: join a group from a phone, see it, leave it, check in, get home safe."""

import hashlib
import secrets
from functools import partial

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.access import membership_or_404, public_event_or_404, public_group
from campaign.extensions import csrf, db
from campaign.forms import EmptyForm, button_or_400
from campaign.groups import by_contact, messages, queries, service, verification
from campaign.groups.contacts import ContactError, contact_hash, normalise_contact
from campaign.groups.forms import (
    SIGNUP_ERROR_MESSAGES,
    VERIFY_MESSAGES,
    JoinEventForm,
    LeaveForm,
    LinkForm,
    MeetingForm,
    RenameForm,
    VerifyForm,
    VolunteerForm,
)
from campaign.http import private
from campaign.limits import shared
from campaign.localtime import utc_to_local_naive
from campaign.models import Event, Group, Membership, utcnow
from campaign.service_calls import apply_change
from campaign.service_errors import message_for

bp = Blueprint("groups", __name__)

#: Session key: event id → this device's member token, to lead a returning volunteer back.
DEVICE_MEMBERSHIPS = "memberships"
WELCOME = "welcome"
#: Session key: the join forms this device was shown, newest last, as [attempt key, member
#: token] pairs. The token is handed to the device with the form, before any join, so a
#: retry after a lost reply (whose cookie was lost with it) finds the membership it made;
#: the key in the form says which of the device's tokens that form will use.
JOIN_ATTEMPTS = "join_attempts"
MAX_JOIN_ATTEMPTS = 4


def _remember_on_device(joined: service.Joined) -> None:
    memberships = dict(session.get(DEVICE_MEMBERSHIPS, {}))
    memberships[str(joined.membership.event_id)] = joined.token
    session[DEVICE_MEMBERSHIPS] = memberships
    session[WELCOME] = joined.membership.token_hash


def _device_token_for(event_id: int) -> str | None:
    token = session.get(DEVICE_MEMBERSHIPS, {}).get(str(event_id))
    return token if token and service.membership_by_token(token) else None


def _attempt_token(form: VolunteerForm) -> str | None:
    """The member token this device was given with this form, if it was."""
    key = form.attempt.data
    return next(
        (token for attempt, token in session.get(JOIN_ATTEMPTS, []) if attempt == key), None
    )


def _offer_attempt(form: VolunteerForm) -> None:
    """Before the form is shown: a new key for it, and the token it will get to the device."""
    if _attempt_token(form) is not None:
        return
    key = secrets.token_urlsafe(16)
    earlier = session.get(JOIN_ATTEMPTS, [])[-(MAX_JOIN_ATTEMPTS - 1) :]
    session[JOIN_ATTEMPTS] = [*earlier, [key, service.new_member_token()]]
    form.attempt.data = key


def _made_on_this_device(
    event_id: int, form: VolunteerForm, existing_hash: str | None = None
) -> str | None:
    """The token of the membership this form already made (a retry after a lost reply), or
    of the refused contact's membership (``existing_hash``) when this device holds it. Only
    a token the device was given is ever answered: nobody learns one by typing a contact."""
    token = _attempt_token(form)
    if token:
        membership = service.membership_by_token(token)
        if membership is not None and membership.event_id == event_id:
            return token
    if existing_hash:
        held = [token for _key, token in session.get(JOIN_ATTEMPTS, [])]
        held.append(session.get(DEVICE_MEMBERSHIPS, {}).get(str(event_id)))
        return next((t for t in held if t and service.hash_token(t) == existing_hash), None)
    return None


def _same_contact_on_this_device(event: Event, form: VolunteerForm) -> str | None:
    """This device's membership of the event, when the form names its contact again (a
    volunteer who joined here and came back): led back to it, not made to confirm again."""
    token = _device_token_for(event.id)
    if token is None:
        return None
    try:
        _kind, contact = normalise_contact(form.contact.data or "", event.country)
    except ContactError:
        return None
    membership = service.membership_by_token(token)
    digest = contact_hash(contact, current_app.config["CONTACT_HASH_KEY"])
    return token if membership is not None and membership.contact_hash == digest else None


def _join(event: Event, form: VolunteerForm, join) -> tuple[Response | None, dict]:
    """Join once, however often the form is sent: a retry (the reply to the first send was
    lost) is answered with the membership the first send made. Returns the redirect to the
    member page, or what the page shows for a refusal."""
    token = _made_on_this_device(event.id, form) or _same_contact_on_this_device(event, form)
    if token is None:
        try:
            return _joined(join(form.volunteer(), token=_attempt_token(form))), {}
        except service.SignUpError as error:
            existing = error.membership.token_hash if error.membership is not None else None
            db.session.rollback()
            token = _made_on_this_device(event.id, form, existing)
            if token is None:
                return None, _signup_failed(form, error, event.id)
    flash(
        _("You had already joined: nothing was saved twice. This is your group's page."), "success"
    )
    membership = service.membership_by_token(token)
    return _joined(service.Joined(membership, token)), {}


def _signup_failed(form: VolunteerForm, error: service.SignUpError, event_id: int) -> dict:
    """What the page shows for a refused sign-up: a message, and for a duplicate the way
    back to the volunteer's group when this device joined it."""
    if error.code == "already_joined":
        return {
            "message": SIGNUP_ERROR_MESSAGES["already_joined"],
            "already_joined": True,
            "own_token": _device_token_for(event_id),
        }
    general = form.show_problems(error.problems)
    return {"message": general[0] if general else None}


def _joined(joined: service.Joined):
    db.session.commit()
    _remember_on_device(joined)
    return redirect(url_for(".member", token=joined.token))


#: The contact field asks for one thing at a time: a phone number (most volunteers, and
#: the phone keypad), or an email address after "use an email address instead".
CONTACT_LABELS = {"phone": _l("Phone number"), "email": _l("Email address")}


def _contact_kind(form: VolunteerForm) -> str:
    """ "email" when asked for (?by=email, or the switch in static/js) or typed, else "phone";
    the field's label says which."""
    typed = form.contact.data or ""
    kind = "email" if request.args.get("by") == "email" or "@" in typed else "phone"
    form.contact.label.text = str(CONTACT_LABELS[kind])
    return kind


def _join_page(event: Event, form: VolunteerForm, join, group=None):
    """The join form (for one group, or the event's), or the member page once joined."""
    failure: dict = {}
    form.region = event.country
    if form.validate_on_submit():
        done, failure = _join(event, form, join)
        if done:
            return done
    _offer_attempt(form)
    return render_template(
        "groups/join.html",
        event=event,
        group=group,
        form=form,
        contact_kind=_contact_kind(form),
        failure=failure,
        summary=None if group else queries.group_summary(event),
        signup_closed=service.signup_closed(event),
    )


@bp.route("/e/<ref>/join", methods=["GET", "POST"])
@shared("JOIN", methods=["POST"])
@private
def join_event(ref: str):
    event = public_event_or_404(ref)
    form = JoinEventForm()
    join = service.start_group if form.mode.data == "new" else service.join_any_group
    return _join_page(event, form, partial(join, event))


@bp.get("/j")
@shared("JOIN_CODES")
def find_code():
    """The "have a code?" box: /j?code=abcd-efgh → /j/ABCDEFGH."""
    typed = request.args.get("code", "")
    group = service.group_by_code(typed) if typed.strip() else None
    if group is None:
        return render_template("groups/code.html", typed=typed), (404 if typed.strip() else 200)
    return redirect(url_for(".join_by_code", code=group.join_code))


@bp.route("/j/<code>", methods=["GET", "POST"])
@shared("JOIN_CODES")
@shared("JOIN", methods=["POST"])
@private
def join_by_code(code: str):
    group = public_group(code)
    if group is None:
        return render_template("groups/code.html", typed=code), 404
    if group.join_code != code:  # typed in lower case, with dashes, or a merged group's code
        return redirect(url_for(".join_by_code", code=group.join_code))
    return _join_page(group.event, VolunteerForm(), partial(service.join_group, group), group)


def _confirm_page(membership, token: str, form: VerifyForm | None = None, status: int = 200):
    """A member still confirming their contact sees only this: the code form, and how
    long their seat is held. Nothing of the group: not its members, not where it meets."""
    page = render_template(
        "groups/confirm.html",
        membership=membership,
        event=membership.group.event,
        token=token,
        form=form or VerifyForm(),
        action_form=EmptyForm(),
        leave_form=LeaveForm(),
        held_until=verification.hold_ends_at(membership),
        code=verification.latest_code(membership),
    )
    return page, status


@bp.get("/me/<token>")
@private
def member(token: str):
    membership = membership_or_404(token, verified=False)
    if membership.verified_at is None:
        return _confirm_page(membership, token)
    group = membership.group
    event = group.event
    welcome = session.pop(WELCOME, None) == membership.token_hash
    meeting_form = MeetingForm(
        meeting_point=group.meeting_point,
        meeting_at=utc_to_local_naive(group.meeting_at, event.zone) if group.meeting_at else None,
    )
    return render_template(
        "groups/member.html",
        membership=membership,
        group=group,
        event=event,
        token=token,
        welcome=welcome,
        invite_url=url_for(".join_by_code", code=group.join_code, _external=True),
        activity=queries.recent_activity(group, since=membership.joined_at),
        signup_closed=service.signup_closed(event),
        check_in=_check_in_state(event),
        page_version=page_version(group),
        check_in_opens_at=service.check_in_opens_at(event),
        action_form=EmptyForm(),
        rename_form=RenameForm(name=group.name),
        meeting_form=meeting_form,
        leave_form=LeaveForm(),
    )


def page_version(group: Group) -> str:
    """Moves with everything the member page shows that others can change: the event (its
    revision, status, text), the group (joins, leaves, meeting point, name, signs: its
    revision and seed), who is confirming, checked in or home safe. The page polls it and
    refreshes its sections when it moves, so badge, list, counts and signs agree."""
    event = group.event
    members = group.verified_members
    parts = (
        event.status.value,
        event.revision,
        event.updated_at.isoformat(),
        group.revision,
        group.sign_seed,
        group.seat_count,
        [(m.id, m.is_leader, bool(m.checked_in_at), bool(m.home_safe_at)) for m in members],
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _check_in_state(event: Event) -> str:
    """ "open", "later" (days before: say when it opens) or "closed"."""
    if service.check_in_open(event):
        return "open"
    return "later" if utcnow() < service.check_in_opens_at(event) else "closed"


@bp.get("/me/<token>/state.json")
@private
def member_state(token: str):
    """The group's state for the member page to refresh itself while people join."""
    group = membership_or_404(token).group
    macros = "groups/_macros.html"
    return {
        "version": page_version(group),
        "event_status": group.event.status.value,
        "state": group.state.value,
        "members": group.member_count,
        "badge_html": str(get_template_attribute(macros, "state_badge")(group.state)).strip(),
        "sentence": " ".join(
            str(get_template_attribute(macros, "state_sentence")(group, group.event)).split()
        ),
    }


@bp.route("/me/<token>/verify", methods=["GET", "POST"])
@shared("VERIFY", methods=["POST"])
@private
def verify(token: str):
    """The code form; the email's one-click link fills it in (GET changes nothing, so a
    mail scanner following the link does not confirm anyone)."""
    membership = membership_or_404(token, verified=False)
    form = VerifyForm()
    if request.method == "GET":
        form.code.data = request.args.get("code", "")[:20]
        if membership.verified_at is not None:
            return _back_to(token)
        return _confirm_page(membership, token, form)
    if not form.validate_on_submit():
        return _confirm_page(membership, token, form, 400)
    outcome = service.verify(membership, form.code.data, token)
    db.session.commit()
    if outcome in ("ok", "already_verified"):
        flash(VERIFY_MESSAGES[outcome], "success")
        return _back_to(token)
    if outcome == "already_joined":
        flash(VERIFY_MESSAGES[outcome], "error")
        return redirect(url_for("events.show_event", ref=membership.group.event.ref))
    form.code.errors = [VERIFY_MESSAGES[outcome]]
    return _confirm_page(membership, token, form, 400)


@bp.post("/me/<token>/new-code")
@shared("VERIFY")
@private
def new_code(token: str):
    membership = membership_or_404(token, verified=False)
    button_or_400()
    change = partial(service.resend_code, membership, token)
    return _change(token, change, _("A new code is on its way."))


@bp.route("/e/<ref>/my-link", methods=["GET", "POST"])
@shared("VERIFY", methods=["POST"])
@private
def my_link(ref: str):
    """ "I lost my link": a new one goes to the verified contact; the page never shows it,
    and says the same whether or not the contact is signed up."""
    event = public_event_or_404(ref)
    form = LinkForm()
    sent = False
    if form.validate_on_submit():
        try:
            by_contact.send_my_link(event, form.contact.data)
        except service.SignUpError as error:
            db.session.rollback()
            form.contact.errors = [message_for(error.code, SIGNUP_ERROR_MESSAGES)]
        else:
            db.session.commit()
            sent = True
    return render_template("groups/my_link.html", event=event, form=form, sent=sent)


@bp.route("/m/stop/<signed>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail provider's one-click POST carries no CSRF token
@private
def unsubscribe(signed: str):
    """Stop messages for one membership: the email's link (a page with a button), and the
    one-click POST of List-Unsubscribe-Post. The signed id is all it needs."""
    member_id = messages.membership_id_from_unsubscribe(signed)
    membership = db.session.get(Membership, member_id) if member_id is not None else None
    if membership is None:
        message = _("These messages have already stopped: the sign-up no longer exists.")
        return render_template("errors.html", code=404, message=message), 404
    if request.method == "POST":
        service.stop_messages(membership)
        db.session.commit()
    return render_template("groups/unsubscribed.html", membership=membership, signed=signed)


def _back_to(token: str):
    return redirect(url_for(".member", token=token))


def _refused(error: service.SignUpError, token: str):
    db.session.rollback()
    flash(message_for(error.code, SIGNUP_ERROR_MESSAGES), "error")
    return _back_to(token)


def _change(token: str, change, done):
    """A member's button: ``change()``, then back to the member page saying how it went."""
    back = url_for(".member", token=token)
    return apply_change(change, done=done, back=back, messages=SIGNUP_ERROR_MESSAGES)


def _leave_page(token: str, form: LeaveForm, *, confirm: bool = False):
    membership = membership_or_404(token, verified=False)
    return render_template(
        "groups/leave.html",
        membership=membership,
        form=form,
        token=token,
        group=membership.group,
        warned=service.leaving_drops_below_minimum(membership),
        confirm=confirm,
    )


@bp.route("/me/<token>/leave", methods=["GET", "POST"])
@private
def leave(token: str):
    membership = membership_or_404(token, verified=False)
    form = LeaveForm()
    if not form.validate_on_submit():
        return _leave_page(token, form)
    event = membership.group.event
    try:
        service.leave_group(membership, confirmed=form.confirmed.data == "yes")
    except service.SignUpError as error:
        db.session.rollback()
        if error.code != "confirm_leave":
            return _refused(error, token)
        return _leave_page(token, form, confirm=True)
    db.session.commit()
    session.get(DEVICE_MEMBERSHIPS, {}).pop(str(event.id), None)
    session.modified = True
    flash(_("You left the group."), "success")
    return redirect(url_for("events.show_event", ref=event.ref))


@bp.post("/me/<token>/<any('check-in', 'home-safe'):step>")
@private
def day_of_event(token: str, step: str):
    membership = membership_or_404(token)
    button_or_400()
    if step == "check-in":
        change = service.check_in
        done = _("Checked in: you are with your group. Stay together.")
    else:
        change = service.check_out_home_safe
        done = _("Glad you are home safe. Thank you for standing up.")
    return _change(token, lambda: change(membership), done)


@bp.post("/me/<token>/messages/<any('stop', 'resume'):setting>")
@private
def messages_setting(token: str, setting: str):
    membership = membership_or_404(token)
    button_or_400()
    if setting == "stop":
        return _change(token, partial(service.stop_messages, membership), _("Messages stopped."))
    return _change(
        token, partial(service.resume_messages, membership), _("You will get messages again.")
    )


@bp.post("/me/<token>/rename")
@private
def rename(token: str):
    membership = membership_or_404(token)
    form = RenameForm()
    if not form.validate_on_submit():
        flash(_("Use at most %(n)d characters.", n=service.MAX_NAME_LENGTH), "error")
        return _back_to(token)
    rename = partial(service.rename_group, membership, form.name.data)
    return _change(token, rename, _("Group renamed."))


@bp.post("/me/<token>/meeting")
@private
def meeting(token: str):
    membership = membership_or_404(token)
    form = MeetingForm()
    if not form.validate_on_submit():
        flash(_("Check the meeting point and time."), "error")
        return _back_to(token)
    try:
        service.set_meeting(membership, form.meeting_point.data, form.meeting_at.data)
    except service.SignUpError as error:
        return _refused(error, token)
    db.session.commit()
    flash(_("Meeting point saved. Your group sees it on their pages."), "success")
    return _back_to(token)


@bp.route("/me/<token>/remove/<int:member_id>", methods=["GET", "POST"])
@private
def remove(token: str, member_id: int):
    """A leader removes someone: asked first on its own page ("Remove Ali?"), then done."""
    leader = membership_or_404(token)
    member = db.session.get(Membership, member_id) if member_id < 2**31 else None
    form = LeaveForm()
    if member is None or member.group_id != leader.group_id or member.verified_at is None:
        # Gone already (a first press whose reply was lost), or never in this group.
        return _refused(service.SignUpError("not_in_group"), token)
    if request.method == "POST":
        button_or_400()
        if form.confirmed.data == "yes":
            removal = partial(service.remove_member, leader, member)
            return _change(token, removal, _("Removed from the group."))
    return render_template("groups/remove.html", form=form, token=token, member=member)
