"""Campaigns: creating and changing them, and who administers them."""

import re
from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError
from sqlalchemy import exists, select

from campaign.access import administers, is_site_admin, require
from campaign.accounts.service import find_by_email
from campaign.campaigns import branding
from campaign.extensions import db
from campaign.models import (
    ABSOLUTE_MIN_GROUP_SIZE,
    DEFAULT_MAX_GROUP_SIZE,
    Campaign,
    Event,
    Organiser,
)
from campaign.models.campaigns import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS
from campaign.models.group_sizes import size_problems
from campaign.service_errors import ServiceError
from campaign.texts import CAMPAIGN_TEXTS

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Slugs that would read as something else in a URL or a printed poster.
RESERVED_SLUGS = frozenset({"new", "edit", "admin", "static", "api"})


class CampaignError(ServiceError):
    """A campaign rule was broken; ``problems`` lists every (field, code) found."""


@dataclass
class CampaignDetails:
    name: str
    slug: str
    pledge: str
    description: str = ""
    default_min_group_size: int = ABSOLUTE_MIN_GROUP_SIZE
    default_max_group_size: int = DEFAULT_MAX_GROUP_SIZE
    retention_days: int = DEFAULT_RETENTION_DAYS
    languages: list[str] = field(default_factory=lambda: ["en"])
    #: Emails of organisers (with accounts) who administer the campaign with its creator.
    admin_emails: list[str] = field(default_factory=list)
    #: Volunteers confirm their contact with a code (off only for a rehearsal).
    verify_contacts: bool = True
    #: SMS verification codes per day; None: the SMS_DAILY_BUDGET setting.
    sms_daily_budget: int | None = None
    #: The description and pledge in the campaign's other languages (campaign/texts.py).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The header's colour, e.g. "#0b5cad"; empty: none.
    colour: str = ""
    #: A newly uploaded logo file (PNG or JPEG) and its name; None: the logo stays.
    logo: bytes | None = None
    logo_filename: str = ""
    #: Take the logo away (a new upload wins).
    remove_logo: bool = False


@dataclass
class Branding:
    """A campaign's checked colour, and its logo as the app re-encoded it."""

    colour: str | None
    logo: bytes | None


def _has_public_events(campaign: Campaign) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(Event.campaign_id == campaign.id, Event.published_at.is_not(None))
            )
        )
    )


def _checked_branding(details: CampaignDetails, problems: list) -> Branding:
    colour = logo = None
    try:
        colour = branding.checked_colour(details.colour)
    except branding.BrandingError as error:
        problems.append(("colour", error.code))
    if details.logo:
        try:
            logo = branding.logo_png(details.logo, details.logo_filename)
        except branding.BrandingError as error:
            problems.append(("logo_file", error.code))
    return Branding(colour, logo)


def _checked(
    details: CampaignDetails, campaign: Campaign | None
) -> tuple[list, list[str], Branding]:
    problems: list = []
    slug = details.slug.strip().lower()
    if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
        problems.append(("slug", "bad_slug"))
    elif campaign is None or slug != campaign.slug:
        taken = db.session.scalar(select(exists().where(Campaign.slug == slug)))
        if taken:
            problems.append(("slug", "slug_taken"))
        elif campaign is not None and _has_public_events(campaign):
            problems.append(("slug", "slug_in_use"))
    problems += size_problems(
        details.default_min_group_size,
        details.default_max_group_size,
        min_field="default_min_group_size",
        max_field="default_max_group_size",
    )
    if not 1 <= details.retention_days <= MAX_RETENTION_DAYS:
        problems.append(("retention_days", "bad_retention"))
    languages = []
    for code in details.languages:
        try:
            languages.append(str(Locale.parse(code.replace("-", "_"))).replace("_", "-"))
        except (ValueError, UnknownLocaleError):
            problems.append(("languages", "unknown_language"))
    if not details.languages:
        problems.append(("languages", "no_language"))
    admins = []
    for email in details.admin_emails:
        organiser = find_by_email(email)
        if organiser is None:
            problems.append(("admin_emails", "unknown_admin"))
        else:
            admins.append(organiser)
    checked_branding = _checked_branding(details, problems)
    if problems:
        raise CampaignError.several(problems)
    return admins, list(dict.fromkeys(languages)), checked_branding


def _apply_branding(campaign: Campaign, details: CampaignDetails, checked: Branding) -> None:
    campaign.colour = checked.colour
    if checked.logo is not None:
        campaign.logo = checked.logo
        campaign.logo_version = branding.logo_version(checked.logo)
    elif details.remove_logo:
        campaign.logo = None
        campaign.logo_version = None


def _apply(campaign: Campaign, details: CampaignDetails, languages: list[str]) -> None:
    campaign.name = details.name.strip()
    campaign.slug = details.slug.strip().lower()
    campaign.description = details.description.strip()
    campaign.pledge = details.pledge.strip()
    campaign.default_min_group_size = details.default_min_group_size
    campaign.default_max_group_size = details.default_max_group_size
    campaign.retention_days = details.retention_days
    campaign.languages = " ".join(languages)
    campaign.verify_contacts = details.verify_contacts
    campaign.sms_daily_budget = details.sms_daily_budget
    campaign.translations = _translations(details.translations, languages)


def _translations(given: dict[str, dict[str, str]], languages: list[str]) -> dict:
    """The texts in the campaign's other languages, stripped; empty ones left out, and a
    language no longer the campaign's keeps its texts (they come back with it)."""
    kept = {}
    for code, texts in given.items():
        cleaned = {name: (texts.get(name) or "").strip() for name in CAMPAIGN_TEXTS}
        if any(cleaned.values()) and code in languages[1:]:
            kept[code] = cleaned
    return kept


def create_campaign(creator: Organiser, details: CampaignDetails) -> Campaign:
    require(is_site_admin(creator))
    admins, languages, checked_branding = _checked(details, None)
    campaign = Campaign()
    _apply(campaign, details, languages)
    _apply_branding(campaign, details, checked_branding)
    campaign.admins = list({o.id: o for o in [creator, *admins]}.values())
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, editor: Organiser, details: CampaignDetails) -> None:
    require(administers(editor, campaign))
    admins, languages, checked_branding = _checked(details, campaign)
    _apply(campaign, details, languages)
    _apply_branding(campaign, details, checked_branding)
    # The editor stays an admin: nobody locks themselves out by mistake.
    keep = [editor] if any(a.id == editor.id for a in campaign.admins) else []
    campaign.admins = list({o.id: o for o in [*keep, *admins]}.values())
    db.session.flush()
