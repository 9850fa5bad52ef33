from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaign.campaigns.branding import MAX_LOGO_BYTES
from campaign.campaigns.service import CampaignDetails
from campaign.forms import ServiceProblemsForm
from campaign.i18n import language_name
from campaign.models import ABSOLUTE_MAX_GROUP_SIZE, ABSOLUTE_MIN_GROUP_SIZE, Campaign
from campaign.models.campaigns import MAX_RETENTION_DAYS
from campaign.texts import CAMPAIGN_TEXTS

CAMPAIGN_ERROR_MESSAGES = {
    "bad_slug": _l("Use lower-case letters, digits and single dashes, e.g. i-am-hazara."),
    "slug_taken": _l("Another campaign has this address."),
    "slug_in_use": _l(
        "This campaign has had public events: its address is printed on posters and stays."
    ),
    "min_group_too_small": _l(
        "Groups need at least %(n)d people: nobody stands alone.", n=ABSOLUTE_MIN_GROUP_SIZE
    ),
    "bad_retention": _l("Choose between 1 and %(n)d days.", n=MAX_RETENTION_DAYS),
    "max_group_too_large": _l("Groups are small: at most %(n)d people.", n=ABSOLUTE_MAX_GROUP_SIZE),
    "max_below_min": _l("The maximum cannot be below the minimum group size."),
    "unknown_language": _l("Use language codes such as en, fa, ur, de."),
    "no_language": _l("Give at least one language."),
    "unknown_admin": _l("Every admin needs an organiser account with that email."),
    "bad_colour": _l("Write the colour as # and six hex digits, e.g. #0b5cad."),
    "colour_low_contrast": _l(
        "White text is hard to read on this colour: choose a darker one "
        "(a contrast of at least 4.5 to 1)."
    ),
    "logo_svg": _l("Use a PNG or JPEG image: SVG files can carry scripts."),
    "logo_too_large": _l("The logo is too large: at most %(n)d KB.", n=MAX_LOGO_BYTES // 1024),
    "logo_not_image": _l("That file is not a PNG or JPEG image the site can read."),
}


def _long_text(label, description, *, required: bool) -> TextAreaField:
    """A text area of at most 5,000 characters."""
    presence = DataRequired() if required else Optional()
    return TextAreaField(label, description=description, validators=[presence, Length(max=5000)])


class CampaignForm(ServiceProblemsForm):
    error_messages = CAMPAIGN_ERROR_MESSAGES

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Web address"),
        description=_l("The part after /c/ in the campaign's address, e.g. i-am-hazara."),
        validators=[DataRequired(), Length(max=64)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    pledge = _long_text(
        _l("Pledge"),
        _l("The conduct rules every volunteer accepts before joining a group."),
        required=True,
    )
    default_min_group_size = IntegerField(
        _l("Smallest group"),
        description=_l("Default for new events; at least %(n)d.", n=ABSOLUTE_MIN_GROUP_SIZE),
        validators=[InputRequired()],
    )
    default_max_group_size = IntegerField(
        _l("Largest group"),
        description=_l("Default for new events."),
        validators=[InputRequired()],
    )
    retention_days = IntegerField(
        _l("Keep volunteers' data for (days after each event)"),
        description=_l(
            "Then names, contacts and check-ins are deleted; only counts stay. 1 to %(n)d.",
            n=MAX_RETENTION_DAYS,
        ),
        validators=[InputRequired()],
    )
    languages = StringField(
        _l("Languages"),
        description=_l("Language codes separated by spaces, e.g. en fa ur."),
        validators=[DataRequired(), Length(max=200)],
    )
    admin_emails = _long_text(
        _l("Other admins"),
        _l("Emails of organiser accounts, one per line. They review events."),
        required=False,
    )
    verify_contacts = BooleanField(
        _l("Volunteers confirm their phone or email with a code"),
        description=_l(
            "Until they do, they hold a place but do not count toward a group's minimum. "
            "Turn off only for a rehearsal."
        ),
        default=True,
    )
    sms_daily_budget = IntegerField(
        _l("Most codes sent by text message per day"),
        description=_l("Empty: the site's setting. Caps the cost of bots asking for codes."),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )
    colour = StringField(
        _l("Colour"),
        description=_l("The header's colour, behind white text, e.g. #0b5cad. Empty: none."),
        validators=[Optional(), Length(max=7)],
    )
    logo_file = FileField(
        _l("Logo"),
        description=_l(
            "A PNG or JPEG image, at most %(n)d KB, shown beside the campaign's name.",
            n=MAX_LOGO_BYTES // 1024,
        ),
    )
    remove_logo = BooleanField(_l("Remove the logo"))
    submit = SubmitField(_l("Save campaign"))

    #: The campaign's languages after its first: a description and pledge field each.
    other_languages: tuple[str, ...] = ()

    @classmethod
    def in_languages(cls, languages) -> type["CampaignForm"]:
        """This form with a description and a pledge field for each of ``languages``."""
        fields: dict = {"other_languages": tuple(languages)}
        for code in languages:
            name = language_name(code)
            fields[f"description__{code}"] = _long_text(
                _l("Description in %(language)s", language=name), None, required=False
            )
            fields[f"pledge__{code}"] = _long_text(
                _l("Pledge in %(language)s", language=name),
                _l("Empty: readers in this language see the pledge above."),
                required=False,
            )
        return type("CampaignFormInLanguages", (cls,), fields)

    def translation_fields(self) -> list[tuple[str, list]]:
        """(language, [its fields]) for the template."""
        return [
            (code, [self[f"description__{code}"], self[f"pledge__{code}"]])
            for code in self.other_languages
        ]

    def translations(self) -> dict[str, dict[str, str]]:
        return {
            code: {name: self[f"{name}__{code}"].data or "" for name in CAMPAIGN_TEXTS}
            for code in self.other_languages
        }

    def details(self) -> CampaignDetails:
        return CampaignDetails(
            name=self.name.data,
            slug=self.slug.data,
            description=self.description.data or "",
            pledge=self.pledge.data,
            default_min_group_size=self.default_min_group_size.data,
            default_max_group_size=self.default_max_group_size.data,
            retention_days=self.retention_days.data,
            languages=self.languages.data.replace(",", " ").split(),
            admin_emails=[e.strip() for e in (self.admin_emails.data or "").split() if e.strip()],
            verify_contacts=bool(self.verify_contacts.data),
            sms_daily_budget=self.sms_daily_budget.data,
            translations=self.translations(),
            colour=self.colour.data or "",
            remove_logo=bool(self.remove_logo.data),
            **self._uploaded_logo(),
        )

    def _uploaded_logo(self) -> dict:
        """The uploaded logo's bytes (one byte over the limit at most: enough to refuse it)
        and name; nothing when no file was chosen."""
        upload = self.logo_file.data
        if not upload or not getattr(upload, "filename", ""):
            return {}
        return {"logo": upload.read(MAX_LOGO_BYTES + 1), "logo_filename": upload.filename}

    @classmethod
    def for_campaign(cls, campaign: Campaign) -> "CampaignForm":
        saved = {
            f"{name}__{code}": texts.get(name, "")
            for code, texts in (campaign.translations or {}).items()
            for name in CAMPAIGN_TEXTS
        }
        return cls(obj=campaign, admin_emails="\n".join(a.email for a in campaign.admins), **saved)
