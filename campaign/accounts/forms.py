from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from campaign.accounts.service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from campaign.forms import FlaskForm, HoneypotForm, ServiceProblemsForm

#: AccountError codes → messages. A taken email at registration is not shown: it gets the
#: same answer as a new account, so registration tells nobody who has one.
ACCOUNT_MESSAGES = {
    "password_too_short": _l("This password is too short."),
    "password_too_long": _l("This password is too long."),
    "password_too_common": _l(
        "This password is too common or too easy to guess. Try a few unrelated words."
    ),
    "wrong_password": _l("That is not your current password."),
    "bad_code": _l("That code is not right. Codes change every 30 seconds."),
    "locked": _l("Too many failed attempts. Wait a few minutes, then try again."),
    "email_taken": _l("An account with this email already exists."),
    #: The one answer to every refused sign-in, whether the email has an account, the
    #: password is wrong, or unknown devices must wait: it tells a guesser nothing.
    "bad_credentials": _l(
        "Wrong email or password, or too many failed attempts from devices this account has"
        " not signed in on: then wait a few minutes, or sign in on a device you used before."
    ),
}
#: Where the current password is typed, a wrong one is shown.
_WRONG_PASSWORD = {"wrong_password": "current_password"}  # nosec B105 (a field name)


class AccountForm(ServiceProblemsForm):
    error_messages = ACCOUNT_MESSAGES


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class RegisterForm(HoneypotForm, AccountForm):
    problems_field = "password"

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


class TwoFactorForm(AccountForm):
    problems_field = "code"

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


class ChangePasswordForm(AccountForm):
    code_fields = _WRONG_PASSWORD
    problems_field = "new_password"

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class ChangeEmailForm(AccountForm):
    code_fields = _WRONG_PASSWORD
    problems_field = "email"

    email = EmailField(
        _l("New email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change email"))


class EnableTwoFactorForm(AccountForm):
    problems_field = "code"

    code = StringField(_l("Code shown by the app"), validators=[DataRequired(), Length(max=10)])
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class DisableTwoFactorForm(AccountForm):
    problems_field = "password"

    password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Turn off two-factor sign-in"))
