"""The slogan bank and each group's signs: every rule about them lives here."""

import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from sqlalchemy import func, select

from campaign.access import administers, require
from campaign.countries import country_name
from campaign.extensions import db
from campaign.models import (
    Campaign,
    Event,
    Group,
    Membership,
    Organiser,
    Slogan,
    SloganKind,
    SloganStatus,
    utcnow,
)
from campaign.models.groups import new_sign_seed
from campaign.service_errors import ServiceError
from campaign.slogans import generate
from campaign.slogans.blocklist import blocked_word

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
THEME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Suggestions waiting per event before more are refused (a flood is not a conversation).
MAX_PENDING_SUGGESTIONS_PER_EVENT = 30


class SloganError(ServiceError):
    """A slogan rule was broken: ``code`` says which, ``field`` where, ``detail`` names the
    culprit (``placeholder``)."""


@dataclass
class SloganDetails:
    text: str
    language: str
    kind: SloganKind
    theme: str = ""


def _clean(details: SloganDetails) -> SloganDetails:
    text = " ".join((details.text or "").split())
    try:
        generate.check_template(text)
    except generate.TemplateError as error:
        raise SloganError(error.code, "text", placeholder=error.detail) from None
    language = (details.language or "").strip()
    if not LANGUAGE_TAG.match(language):
        raise SloganError("bad_language", "language")
    try:
        Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise SloganError("bad_language", "language") from None
    theme = (details.theme or "").strip().lower()
    if theme and (len(theme) > 40 or not THEME.match(theme)):
        raise SloganError("bad_theme", "theme")
    return SloganDetails(text, language, SloganKind(details.kind), theme)


def _duplicate(campaign: Campaign, details: SloganDetails, exclude_id: int | None = None):
    query = select(Slogan.id).where(
        Slogan.campaign_id == campaign.id,
        Slogan.language == details.language,
        func.lower(Slogan.text) == details.text.lower(),
        Slogan.status != SloganStatus.RETIRED,
    )
    if exclude_id is not None:
        query = query.where(Slogan.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


# --- the bank (campaign admins) ------------------------------------------------------------


def add_slogan(campaign: Campaign, admin: Organiser, details: SloganDetails) -> Slogan:
    require(administers(admin, campaign))
    details = _clean(details)
    if _duplicate(campaign, details):
        raise SloganError("duplicate", "text")
    return _new_slogan(
        campaign.id,
        details,
        theme=details.theme,
        status=SloganStatus.APPROVED,
        reviewed_by_id=admin.id,
        reviewed_at=utcnow(),
    )


def _new_slogan(campaign_id: int, details: SloganDetails, **columns) -> Slogan:
    slogan = Slogan(
        campaign_id=campaign_id,
        text=details.text,
        language=details.language,
        kind=details.kind,
        **columns,
    )
    db.session.add(slogan)
    db.session.flush()
    return slogan


def update_slogan(slogan: Slogan, admin: Organiser, details: SloganDetails) -> None:
    campaign = db.session.get_one(Campaign, slogan.campaign_id)
    require(administers(admin, campaign))
    details = _clean(details)
    if _duplicate(campaign, details, exclude_id=slogan.id):
        raise SloganError("duplicate", "text")
    slogan.text, slogan.language = details.text, details.language
    slogan.kind, slogan.theme = details.kind, details.theme
    db.session.flush()


def review_slogan(slogan: Slogan, admin: Organiser, status: SloganStatus) -> None:
    """Approve a suggestion, retire a slogan, or bring a retired one back."""
    require(administers(admin, db.session.get_one(Campaign, slogan.campaign_id)))
    slogan.status = status
    slogan.reviewed_by_id = admin.id
    slogan.reviewed_at = utcnow()
    db.session.flush()


# --- suggestions (volunteers) --------------------------------------------------------------


def suggest_slogan(membership: Membership, details: SloganDetails) -> Slogan:
    """A volunteer's idea for the bank; it waits for a campaign admin. Abuse is refused."""
    event = membership.group.event
    details = _clean(details)
    if blocked_word(details.text) is not None:
        raise SloganError("blocked", "text")
    if details.language not in event.campaign.language_list:
        raise SloganError("bad_language", "language")
    if _duplicate(event.campaign, details):
        raise SloganError("duplicate", "text")
    pending = db.session.execute(
        select(func.count(Slogan.id)).where(
            Slogan.suggested_at_event_id == event.id, Slogan.status == SloganStatus.SUGGESTED
        )
    ).scalar_one()
    if pending >= MAX_PENDING_SUGGESTIONS_PER_EVENT:
        raise SloganError("too_many_suggestions", "text")
    suggested = {"status": SloganStatus.SUGGESTED, "suggested_at_event_id": event.id}
    return _new_slogan(event.campaign_id, details, **suggested)


# --- a group's signs -----------------------------------------------------------------------


def bank_for(campaign: Campaign) -> list[generate.BankSlogan]:
    rows = db.session.scalars(
        select(Slogan)
        .where(Slogan.campaign_id == campaign.id, Slogan.status == SloganStatus.APPROVED)
        .order_by(Slogan.id)
    )
    return [generate.BankSlogan(s.id, s.text, s.language, s.kind.value, s.theme) for s in rows]


def sign_languages(campaign: Campaign, bank: list[generate.BankSlogan]) -> list[str]:
    """The campaign's languages that have slogans, in the campaign's order."""
    present = {s.language for s in bank}
    return [code for code in campaign.language_list if code in present] or [
        campaign.language_list[0]
    ]


def event_values(event: Event) -> dict[str, str]:
    return {
        "city": event.city,
        "country": country_name(event.country),
        "venue": event.venue_name,
        "campaign": event.campaign.name,
    }


def group_signs(group: Group, bank: list[generate.BankSlogan] | None = None):
    """The group's signs in reading order, one per member (at least one)."""
    event = group.event
    campaign = event.campaign
    if bank is None:
        bank = bank_for(campaign)
    languages = sign_languages(campaign, bank)
    language = group.sign_language if group.sign_language in languages else languages[0]
    second = group.sign_second_language if group.sign_second_language in languages else ""
    return generate.generate_signs(
        bank,
        group.member_count,
        seed=group.sign_seed,
        language=language,
        second_language=second,
        values=event_values(event),
    )


def member_sign(membership: Membership) -> generate.Sign:
    """The sign this member holds: members take the signs in the order they joined."""
    signs = group_signs(membership.group)
    position = next((i for i, m in enumerate(membership.group.members) if m.id == membership.id), 0)
    return signs[min(position, len(signs) - 1)]


def new_sign_set(leader: Membership, language: str, second_language: str = "") -> None:
    """The leader asks for a different set, optionally in other languages."""
    if not leader.is_leader:
        raise SloganError("not_leader")
    group = leader.group
    languages = sign_languages(group.event.campaign, bank_for(group.event.campaign))
    if language not in languages:
        raise SloganError("bad_language", "language")
    if second_language and (second_language not in languages or second_language == language):
        raise SloganError("bad_language", "second_language")
    seed = new_sign_seed()
    while seed == group.sign_seed:
        seed = new_sign_seed()
    group.sign_seed = seed
    group.sign_language = language
    group.sign_second_language = second_language
    db.session.flush()


def slogans_by_status(campaign: Campaign) -> dict[SloganStatus, list[Slogan]]:
    slogans = db.session.scalars(
        select(Slogan)
        .where(Slogan.campaign_id == campaign.id)
        .order_by(Slogan.language, Slogan.kind, Slogan.id)
    )
    grouped: dict[SloganStatus, list[Slogan]] = {status: [] for status in SloganStatus}
    for slogan in slogans:
        grouped[slogan.status].append(slogan)
    return grouped
