"""Form pieces shared by several blueprints, and the one place typed text is cleaned."""

import re
from collections.abc import Mapping

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from campaign.service_errors import message_for

#: Line breaks of every kind (CRLF counts as one): CR, LF, VT, FF, NEL, LINE and PARAGRAPH
#: SEPARATOR. A bare CR in a stored title ended a calendar line and let the rest of the
#: title be read as a calendar's own lines (a fake VEVENT): see campaign/exports/ical.py.
_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
#: TAB and every other C0 and C1 control character, DEL included: each becomes a space (as
#: the groups service does), so no two words are ever glued together.
_CONTROL = re.compile("[\x00-\x09\x0e-\x1f\x7f-\x84\x86-\x9f]")
#: Format characters (Unicode category Cf) are invisible, and most are text: the zero-width
#: non-joiner (U+200C) is spelling in Persian and Urdu ("I want", "the Hazaras": without it
#: the letters join into another word, with a space the word falls apart), the joiner
#: (U+200D) shapes letters and emoji, and the marks LRM, RLM and ALM (U+200E, U+200F,
#: U+061C) are typed to put a full stop or a number on the right side of mixed text: a
#: mark is one invisible letter with a direction, so it moves the neutral characters beside
#: it and nothing more. All of these stay, as do soft hyphens, word joiners and the tags of
#: flag emoji. These go, without a trace (each is zero-width, so nothing is glued):
#:
#: - the bidi embeddings and overrides LRE RLE PDF LRO RLO (U+202A-U+202E) and isolates LRI
#:   RLI FSI PDI (U+2066-U+2069). An override shows letters in the order it says, not the
#:   order they are in (RLO then "gnp.exe" reads "exe.png"): a meeting point or a group
#:   name would read as something other than what is stored and searched, and one left
#:   open in a name turns round the rest of the line it is put in (a message, a calendar
#:   title, a list of members). The pages isolate what they insert themselves (``<bdi>``,
#:   U+2068…U+2069 in ``campaign.templating``), so stored text never needs its own;
#: - the deprecated U+206A-U+206F (they change digit shapes and mirroring), the byte order
#:   mark / zero-width no-break space U+FEFF (pasted from files, never meant) and the
#:   interlinear annotation marks U+FFF9-U+FFFB (they hide the text between them).
UNSAFE_FORMAT = re.compile("[\u202a-\u202e\u2066-\u206f\ufeff\ufff9-\ufffb]")


def without_unsafe_format(value: str) -> str:
    """``value`` without the format characters that reorder or hide text (``UNSAFE_FORMAT``)."""
    return UNSAFE_FORMAT.sub("", value)


def one_line(value):
    """Text for a single-line field: every line break and control character becomes a
    space, unsafe format characters go. Anything but a string (None) is left as it is."""
    if not isinstance(value, str):
        return value
    return without_unsafe_format(_CONTROL.sub(" ", _BREAK.sub(" ", value)))


def text_block(value):
    """Text for a multi-line field: every line break becomes LF, every other control
    character a space, unsafe format characters go."""
    if not isinstance(value, str):
        return value
    return without_unsafe_format(_CONTROL.sub(" ", _BREAK.sub("\n", value)))


class FlaskForm(_FlaskForm):
    """The base of every form in the app (tests/test_form_text.py checks that none skips
    it): each text field's input is cleaned before its own filters and validators see it,
    by :func:`text_block` in a text area and :func:`one_line` in any other text field.
    Passwords are taken exactly as typed."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                clean = text_block if issubclass(field_class, TextAreaField) else one_line
                options = {**options, "filters": (clean, *unbound_field.kwargs.get("filters", ()))}
            return unbound_field.bind(form=form, **options)


class EmptyForm(FlaskForm):
    """For button-only actions: carries the CSRF token and nothing else."""


def button_or_400() -> None:
    """A button-only POST must carry its form's CSRF token: otherwise 400."""
    if not EmptyForm().validate_on_submit():
        abort(400)


class ServiceProblemsForm(FlaskForm):
    """A form that shows a service's refusals in words, each beside the field it is about."""

    #: The feature's message table: service error code → message.
    error_messages: Mapping = {}
    #: For a refusal that names no field: code → the field its message stands beside …
    code_fields: Mapping[str, str] = {}
    #: … or else this field (None: the top of the form).
    problems_field: str | None = None

    def show_problems(self, problems) -> list[str]:
        """Put each (field, code) problem beside its field; return the messages that
        belong to no field."""
        general = []
        for field_name, code in problems:
            message = message_for(code, self.error_messages)
            name = field_name or self.code_fields.get(code) or self.problems_field
            field = self._fields.get(name) if name else None
            if field is None:
                general.append(str(message))
            else:
                field.errors = [*field.errors, message]
        return general


class HoneypotForm(FlaskForm):
    """A public form with a field people never see and bots fill in: filled, it is refused.

    Rendered by the ``honeypot`` macro in ``_forms.html``, off screen and out of the tab order.
    """

    website = StringField(_l("Leave this field empty"))

    def validate_website(self, field):
        if field.data:
            raise ValidationError(_l("This form could not be sent. Please try again."))
