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
#: the groups service does), so no two words are ever glued together. Format characters
#: (ZWNJ, ZWJ, direction marks) are text in Persian and Urdu and stay.
_CONTROL = re.compile("[\x00-\x09\x0e-\x1f\x7f-\x84\x86-\x9f]")


def one_line(value):
    """Text for a single-line field: every line break and control character becomes a
    space. Anything but a string (None) is left as it is."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub(" ", _BREAK.sub(" ", value))


def text_block(value):
    """Text for a multi-line field: every line break becomes LF, every other control
    character a space."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub(" ", _BREAK.sub("\n", value))


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
