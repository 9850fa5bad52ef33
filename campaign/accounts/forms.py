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
