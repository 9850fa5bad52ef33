"""Form pieces shared by several blueprints."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError


class EmptyForm(FlaskForm):
    """For button-only actions: carries the CSRF token and nothing else."""


class ServiceProblemsForm(FlaskForm):
    """A form that shows a service's (field, code) problems beside its fields."""

    #: Service error code → message.
    error_messages: dict = {}

    def show_problems(self, problems) -> list[str]:
        """Put each problem beside its field; return the messages that belong to no field."""
        general = []
        for field_name, code in problems:
            message = self.error_messages.get(code, code)
            field = self._fields.get(field_name) if field_name else None
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
