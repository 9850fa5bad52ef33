"""Slogan bank (campaign admins), suggestions and signs (volunteers), every sign of an
event (organisers)."""

from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from campaign.access import (
    admin_campaign_or_404,
    editable_event_or_404,
    membership_or_404,
    slogan_of_or_404,
)
from campaign.extensions import db
from campaign.forms import EmptyForm, button_or_400
from campaign.groups.queries import board_groups
from campaign.http import private
from campaign.limits import limit
from campaign.models import Membership, SloganKind, SloganStatus
from campaign.service_calls import apply_change, form_page, save_form
from campaign.slogans import render, service
from campaign.slogans.forms import (
    SLOGAN_ERROR_MESSAGES,
    SignSetForm,
    SloganForm,
    SuggestForm,
)
from campaign.slogans.generate import Sign

bp = Blueprint("slogans", __name__)

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
#: Previews are laid out on A4 landscape, the size most people print.
PREVIEW_SIZE = render.page_size("a4", "landscape")


# --- helpers shared by the pages -----------------------------------------------------------


def _sign_page(sign: Sign, campaign_name: str, total: int) -> render.SignPage:
    return render.SignPage(
        text=sign.text,
        language=sign.language,
        second_text=sign.second_text,
        second_language=sign.second_language,
        footer=_(
            "%(campaign)s · sign %(n)d of %(total)d",
            campaign=campaign_name,
            n=sign.number,
            total=total,
        ),
    )


def sign_preview(sign: Sign, campaign_name: str, total: int) -> Markup:
    page = _sign_page(sign, campaign_name, total)
    layout = render.layout_sign(page, *PREVIEW_SIZE, FONT_DIR)
    label = _("Sign %(n)d: %(text)s", n=sign.number, text=sign.text)
    # sign_svg escapes every text it writes.
    return Markup(render.sign_svg(layout, label))  # noqa: S704  # nosec B704


@dataclass
class SignsPanel:
    own: Sign
    own_preview: Markup
    total: int
    #: For the leader: (sign, holder's display name or None, preview).
    group_set: list[tuple[Sign, str | None, Markup]]
    languages: list[str]
    #: Right-to-left signs are read from the right: sign 1 stands rightmost as people look.
    from_right: bool
    suggest_form: SuggestForm
    set_form: SignSetForm | None


@bp.app_context_processor
def sign_helpers() -> dict:
    return {"signs_panel": signs_panel}


def signs_panel(membership: Membership) -> SignsPanel:
    group = membership.group
    campaign = group.event.campaign
    bank = service.bank_for(campaign)
    signs = service.group_signs(group, bank)
    members = list(group.members)
    position = next((i for i, m in enumerate(members) if m.id == membership.id), 0)
    own = signs[min(position, len(signs) - 1)]
    name = campaign.name
    group_set = []
    if membership.is_leader:
        for i, sign in enumerate(signs):
            holder = members[i].display_name if i < len(members) else None
            group_set.append((sign, holder, sign_preview(sign, name, len(signs))))
    languages = service.sign_languages(campaign, bank)
    set_form = None
    if membership.is_leader:
        set_form = SignSetForm(
            languages,
            language=group.sign_language or languages[0],
            second_language=group.sign_second_language,
        )
    return SignsPanel(
        own=own,
        own_preview=sign_preview(own, name, len(signs)),
        total=len(signs),
        group_set=group_set,
        languages=languages,
        from_right=render.is_rtl(own.language),
        suggest_form=SuggestForm(campaign.language_list, kind=SloganKind.QUESTION.value),
        set_form=set_form,
    )


def _paper() -> tuple[str, str] | None:
    paper = request.args.get("paper", "a4")
    orientation = request.args.get("orientation", "landscape")
    if paper not in render.PAPERS or orientation not in render.ORIENTATIONS:
        return None
    return paper, orientation


def _set_pages(signs: list[Sign], campaign_name: str) -> list[render.SignPage]:
    """A group's set as pages, each saying its place: "sign 2 of 3"."""
    return [_sign_page(sign, campaign_name, len(signs)) for sign in signs]


#: Pages in one sign file. A group is at most 50 people; with text shaping taking time for
#: Nastaliq, a file this long is made in a few seconds, well inside a worker's timeout.
MAX_SIGN_PAGES = 60
#: Sign files kept per worker: a leader downloads the same set again and again.
SIGN_FILES_CACHED = 32


@lru_cache(maxsize=SIGN_FILES_CACHED)
def _signs_pdf(pages: tuple[render.SignPage, ...], paper: str, orientation: str, title: str):
    return render.signs_pdf(
        list(pages), FONT_DIR, paper=paper, orientation=orientation, title=title
    )


def _pdf(pages: list[render.SignPage], filename: str, title: str) -> Response:
    chosen = _paper()
    if chosen is None:
        message = _("Choose a paper size (A4, A3 or Letter) and landscape or portrait.")
        return Response(message + "\n", status=400, mimetype="text/plain")
    paper, orientation = chosen
    body = _signs_pdf(tuple(pages[:MAX_SIGN_PAGES]), paper, orientation, title)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _back_url(token: str) -> str:
    return url_for("groups.member", token=token) + "#signs-title"


def _back_to(token: str):
    return redirect(_back_url(token))


# --- volunteers ----------------------------------------------------------------------------


@bp.get("/me/<token>/sign")
@private
def sign_screen(token: str):
    """The member's sign, full screen, to hold up a phone or tablet."""
    sign = service.member_sign(membership_or_404(token))
    return render_template(
        "slogans/screen.html", sign=sign, token=token, rtl=render.is_rtl, script=render.script_name
    )


@bp.get("/me/<token>/sign.pdf")
@private
def own_sign_pdf(token: str):
    membership = membership_or_404(token)
    campaign = membership.group.event.campaign
    signs = service.group_signs(membership.group)
    own = service.member_sign(membership)
    page = _sign_page(own, campaign.name, len(signs))
    return _pdf([page], f"sign-{own.number}.pdf", own.text)


@bp.get("/me/<token>/signs.pdf")
@private
def group_signs_pdf(token: str):
    membership = membership_or_404(token)
    if not membership.is_leader:
        abort(403)
    group = membership.group
    campaign = group.event.campaign
    signs = service.group_signs(group)
    title = _("Signs for %(group)s", group=group.display_code)
    return _pdf(_set_pages(signs, campaign.name), "group-signs.pdf", title)


@bp.post("/me/<token>/signs/new-set")
@private
def new_set(token: str):
    membership = membership_or_404(token)
    campaign = membership.group.event.campaign
    form = SignSetForm(service.sign_languages(campaign, service.bank_for(campaign)))
    if not form.validate_on_submit():
        flash(_("Choose the languages from the list."), "error")
        return _back_to(token)
    languages = (form.language.data, form.second_language.data or "")
    return apply_change(
        lambda: service.new_sign_set(membership, *languages),
        done=_("Your group has a new set of signs."),
        back=_back_url(token),
        messages=SLOGAN_ERROR_MESSAGES,
    )


@bp.post("/me/<token>/slogans/suggest")
@limit("SUGGEST")
@private
def suggest(token: str):
    membership = membership_or_404(token)
    campaign = membership.group.event.campaign
    form = SuggestForm(campaign.language_list)
    if not form.validate_on_submit():
        flash(_("Write your slogan (at most 200 characters) and choose its language."), "error")
        return _back_to(token)
    return apply_change(
        lambda: service.suggest_slogan(membership, form.details()),
        done=_("Thank you. The campaign's admins will read your suggestion."),
        back=_back_url(token),
        messages=SLOGAN_ERROR_MESSAGES,
    )


# --- organisers ----------------------------------------------------------------------------


@bp.get("/organise/events/<ref>/signs.pdf")
@login_required
@private
def event_signs_pdf(ref: str):
    event = editable_event_or_404(ref)
    bank = service.bank_for(event.campaign)
    pages = []
    for group in board_groups(event):
        if group.member_count:
            pages.extend(_set_pages(service.group_signs(group, bank), event.campaign.name))
    if not pages:
        flash(_("No group has members yet: there are no signs to print."), "error")
        return redirect(url_for("board.board", ref=event.ref))
    if len(pages) > MAX_SIGN_PAGES:
        flash(
            _(
                "This event has %(count)d signs, too many for one file (at most %(max)d). "
                "Each group's leader can print their group's signs from their own page.",
                count=len(pages),
                max=MAX_SIGN_PAGES,
            ),
            "error",
        )
        return redirect(url_for("board.board", ref=event.ref))
    return _pdf(pages, f"signs-{event.ref}.pdf", event.title)


# --- the bank (campaign admins) ------------------------------------------------------------


@bp.route("/organise/campaigns/<slug>/slogans", methods=["GET", "POST"])
@login_required
def bank(slug: str):
    campaign = admin_campaign_or_404(slug)
    form = SloganForm(language=campaign.language_list[0], kind=SloganKind.IDENTITY.value)
    add = partial(service.add_slogan, campaign, current_user)
    done, general_errors = save_form(
        form, lambda: add(form.details()), saved=_("Slogan added."), then=lambda _: request.path
    )
    # The bank is read after the attempt: a refusal's rollback would expire it.
    return done or render_template(
        "slogans/bank.html",
        campaign=campaign,
        form=form,
        general_errors=general_errors,
        slogans=service.slogans_by_status(campaign),
        action_form=EmptyForm(),
    )


@bp.route("/organise/campaigns/<slug>/slogans/<int:slogan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, slogan_id: int):
    campaign = admin_campaign_or_404(slug)
    slogan = slogan_of_or_404(campaign, slogan_id)
    form = SloganForm(obj=slogan) if request.method == "GET" else SloganForm()
    if request.method == "GET":
        form.kind.data = slogan.kind.value
    return form_page(
        "slogans/edit.html",
        form,
        lambda: service.update_slogan(slogan, current_user, form.details()),
        saved=_("Slogan saved."),
        then=lambda _none: url_for(".bank", slug=slug),
        campaign=campaign,
        slogan=slogan,
    )


REVIEW_ACTIONS = {
    "approve": SloganStatus.APPROVED,
    "retire": SloganStatus.RETIRED,
    "restore": SloganStatus.APPROVED,
}


@bp.post("/organise/campaigns/<slug>/slogans/<int:slogan_id>/<action>")
@login_required
def review(slug: str, slogan_id: int, action: str):
    campaign = admin_campaign_or_404(slug)
    slogan = slogan_of_or_404(campaign, slogan_id)
    if action not in REVIEW_ACTIONS:
        abort(404)
    button_or_400()
    service.review_slogan(slogan, current_user, REVIEW_ACTIONS[action])
    db.session.commit()
    flash(_("Slogan updated."), "success")
    return redirect(url_for(".bank", slug=slug))
