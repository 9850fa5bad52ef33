from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from campaign.accounts.service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from campaign.forms import HoneypotForm


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class RegisterForm(HoneypotForm):
    display_name = StringField(
        _l("Your name, as other organisers will see it"),
        validators=[DataRequired(), Length(max=80)],
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField(
        _l("Password"),
        description=_l(
            "At least %(n)d characters. A few unrelated words work well.", n=MIN_PASSWORD_LENGTH
        ),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Create account"))


class TwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=20)],
    )
    submit = SubmitField(_l("Continue"))


def _new_password_field(label):
    return PasswordField(
        label,
        description=_l(
            "At least %(n)d characters, not a common password. A few unrelated words work well.",
            n=MIN_PASSWORD_LENGTH,
        ),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change email"))


class EnableTwoFactorForm(FlaskForm):
    code = StringField(_l("Code shown by the app"), validators=[DataRequired(), Length(max=10)])
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Turn off two-factor sign-in"))
