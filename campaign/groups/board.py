"""The organiser board: every group of an event, with contacts, merges and the CSV export.

Contacts are shown only to the event's organiser and its campaign admins, and every view
or export of them is recorded.
"""

import csv
import io
import re

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from campaign.access import editable_event_or_404
from campaign.extensions import db
from campaign.forms import EmptyForm, button_or_400
from campaign.groups import queries, service
from campaign.groups.contacts import display_phone
from campaign.groups.forms import SIGNUP_ERROR_MESSAGES, MergeForm
from campaign.http import private
from campaign.messaging import status as message_status
from campaign.models import ContactAccess, ContactKind, Event, Group, GroupState
from campaign.service_calls import apply_change
from campaign.transactions import writes

bp = Blueprint("board", __name__, url_prefix="/organise/events")


def contacts_page(view):
    """A page with volunteers' contacts: for a signed-in organiser, written to the contact
    access log, never kept by a cache."""
    return login_required(writes(private(view)))


def _record_contact_access(event: Event, action: str) -> None:
    db.session.add(ContactAccess(organiser_id=current_user.id, event_id=event.id, action=action))


def shown_contact(contact: str, kind: ContactKind) -> str:
    return display_phone(contact) if kind is ContactKind.PHONE else contact


@bp.get("/<ref>/board")
@contacts_page
def board(ref: str):
    event = editable_event_or_404(ref)
    # Recorded (and committed) first: a commit expires what was loaded before it, and the
    # groups would then be read again one by one.
    _record_contact_access(event, "board")
    db.session.commit()
    groups = queries.board_groups(event)
    forming = [g for g in groups if g.member_count and g.state is GroupState.FORMING]
    return render_template(
        "groups/board.html",
        event=event,
        groups=groups,
        summary=queries.group_summary(event),
        merge_form=MergeForm(groups=forming),
        can_merge=len(forming) >= 2,
        action_form=EmptyForm(),
        shown_contact=shown_contact,
        signup_closed=service.signup_closed(event),
        message_counts=message_status.counts(event),
    )


@bp.post("/<ref>/messages/retry")
@login_required
def retry_messages(ref: str):
    """Queue the event's failed messages again (organisers of the event only)."""
    event = editable_event_or_404(ref)
    button_or_400()
    retried = message_status.retry_failed(event)
    db.session.commit()
    flash(_("%(n)d failed messages queued again.", n=retried), "success")
    return redirect(url_for(".board", ref=ref))


@bp.post("/<ref>/merge")
@login_required
def merge(ref: str):
    event = editable_event_or_404(ref)
    groups = queries.board_groups(event)
    form = MergeForm(groups=groups)
    if not form.validate_on_submit():
        flash(_("Choose two groups to merge."), "error")
        return redirect(url_for(".board", ref=ref))
    # The form accepts only this event's groups, so both exist.
    source = db.session.get_one(Group, form.source.data)
    target = db.session.get_one(Group, form.target.data)
    return apply_change(
        lambda: service.merge_groups(source, target, current_user),
        done=_("Groups merged. Their members see the change on their pages."),
        back=url_for(".board", ref=ref),
        messages=SIGNUP_ERROR_MESSAGES,
    )


@bp.post("/<ref>/consolidate")
@login_required
def consolidate(ref: str):
    event = editable_event_or_404(ref)
    button_or_400()
    result = service.consolidate(event, current_user)
    db.session.commit()
    flash(
        _(
            "%(merged)d merges. %(left)d groups are still below the minimum: "
            "their members are told not to go alone.",
            merged=len(result.merges),
            left=len(result.still_forming),
        ),
        "success",
    )
    return redirect(url_for(".board", ref=ref))


#: What a spreadsheet may split a line on, whatever this file uses: a CSV opened where the
#: list separator is ";", text pasted as tab-separated, a line break a reader mishandles.
_SEPARATORS = re.compile(r"([,;\t|\r\n])")
#: A cell, or a piece of one after a separator, starting with one of these is run as a
#: formula (OWASP's list, line feed, and the full-width forms some spreadsheets convert).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _as_text(piece: str) -> str:
    starts_formula = piece.lstrip(' "').startswith(_FORMULA_STARTS)
    return "'" + piece if starts_formula else piece


def spreadsheet_text(value: str) -> str:
    """The value a spreadsheet shows as text, never runs (CSV injection), whichever separator
    it splits on: a ' before the cell and before every separator-split piece that would
    start a formula. Phone numbers start with "+", so they stay text (+447911123456 would
    otherwise show as 4.47912E+11) — OWASP's prefix, rather than ="…", which is a formula."""
    pieces = _SEPARATORS.split(value)
    pieces[0::2] = [_as_text(piece) for piece in pieces[0::2]]
    return _as_text("".join(pieces))


#: The sign-ups file's columns; times in UTC.
CSV_COLUMNS = (
    "group_code",
    "group_name",
    "group_state",
    "name",
    "contact",
    "leader",
    "shares_contact",
    "joined_at_utc",
    "checked_in_at_utc",
    "home_safe_at_utc",
)


def _csv_cells(group, m) -> list[str]:
    return [
        group.display_code,
        group.name or "",
        group.state.value,
        m.display_name,
        m.contact,
        "yes" if m.is_leader else "",
        "yes" if m.share_contact else "",
        m.joined_at.isoformat(timespec="seconds"),
        m.checked_in_at.isoformat(timespec="seconds") if m.checked_in_at else "",
        m.home_safe_at.isoformat(timespec="seconds") if m.home_safe_at else "",
    ]


@bp.get("/<ref>/signups.csv")
@contacts_page
def export_csv(ref: str):
    event = editable_event_or_404(ref)
    groups = queries.board_groups(event)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # OWASP: every cell in double quotes
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        for member in group.verified_members:
            writer.writerow([spreadsheet_text(cell) for cell in _csv_cells(group, member)])
    _record_contact_access(event, "csv")
    db.session.commit()
    filename = f"signups-{event.ref}.csv"
    return Response(
        out.getvalue().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
