from babel import Locale, UnknownLocaleError
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from campaign.forms import HoneypotForm, ServiceProblemsForm
from campaign.models import SloganKind
from campaign.slogans.generate import PLACEHOLDERS
from campaign.slogans.service import SloganDetails

#: SloganError codes → messages.
SLOGAN_ERROR_MESSAGES = {
    "empty": _l("Write the slogan."),
    "too_long": _l("Use at most 200 characters: a sign is read from across a street."),
    "unbalanced_brace": _l(
        "A brace is not closed. Placeholders look like {city}; to print a brace, write it "
        "twice: {{ or }}."
    ),
    "unknown_placeholder": _l(
        "Unknown placeholder. Use only %(names)s.",
        names=", ".join("{" + name + "}" for name in PLACEHOLDERS),
    ),
    "bad_language": _l("Choose a language code such as en, fa, ur, ar or de."),
    "bad_theme": _l("Use lower-case letters, digits and dashes, e.g. answer-please."),
    "duplicate": _l("This slogan is already in the bank."),
    "blocked": _l(
        "This slogan contains a word the campaign does not use. We stand in silence and "
        "never answer abuse: please suggest something else."
    ),
    "too_many_suggestions": _l(
        "Many suggestions for this event are waiting for review. Please try again later."
    ),
    "not_leader": _l("Only the group leader can do that."),
    "not_allowed": _l("Only the campaign's admins can change its slogans."),
}


def language_name(code: str) -> str:
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(get_locale() or "en")
    except (UnknownLocaleError, ValueError):
        return code
    return f"{name} ({code})" if name else code


def language_choices(codes) -> list[SelectChoice]:
    return [SelectChoice(code, language_name(code)) for code in codes]


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, kind.label) for kind in SloganKind]


class SloganForm(ServiceProblemsForm):
    """A campaign admin's form for a slogan in the bank."""

    error_messages = SLOGAN_ERROR_MESSAGES

    text = StringField(
        _l("Slogan"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("May use {city}, {country}, {venue} and {campaign}."),
    )
    language = StringField(
        _l("Language code"),
        validators=[DataRequired(), Length(max=16)],
        description=_l("BCP 47: en, fa (Persian/Dari), ur (Urdu), ar, de …"),
    )
    kind = SelectField(_l("Place in the line-up"), validators=[DataRequired()])
    theme = StringField(
        _l("Theme (optional)"),
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Slogans with the same theme are translations of each other: a bilingual sign "
            "puts them together. E.g. i-am-hazara."
        ),
    )
    submit = SubmitField(_l("Save slogan"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()

    def details(self) -> SloganDetails:
        return typed_slogan(self, theme=self.theme.data or "")


def typed_slogan(form, theme: str = "") -> SloganDetails:
    """The slogan a form's text, language and kind fields describe."""
    return SloganDetails(
        text=form.text.data or "",
        language=form.language.data or "",
        kind=SloganKind(form.kind.data),
        theme=theme,
    )


class SuggestForm(ServiceProblemsForm, HoneypotForm):
    """A volunteer's suggestion for the bank."""

    error_messages = SLOGAN_ERROR_MESSAGES

    text = StringField(_l("Your slogan"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), validators=[DataRequired()])
    kind = SelectField(_l("Place in the line-up"), validators=[DataRequired()])
    submit = SubmitField(_l("Suggest"))

    def __init__(self, languages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(languages)
        self.kind.choices = kind_choices()

    def details(self) -> SloganDetails:
        return typed_slogan(self)


class SignSetForm(ServiceProblemsForm):
    """The leader's "new set" button, with the languages of the signs."""

    error_messages = SLOGAN_ERROR_MESSAGES

    language = SelectField(_l("Language of the signs"), validators=[DataRequired()])
    second_language = SelectField(_l("Second line (optional)"), validators=[Optional()])
    submit = SubmitField(_l("New set of signs"))

    def __init__(self, languages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(languages)
        self.second_language.choices = [
            SelectChoice("", _l("None")),
            *language_choices(languages),
        ]
