"""Form pieces shared by several blueprints."""

from collections.abc import Mapping

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from campaign.service_errors import message_for


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
