from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from campaign.accounts import service
from campaign.accounts.forms import LoginForm, RegisterForm
from campaign.extensions import db, login_manager
from campaign.forms import EmptyForm
from campaign.limits import limit
from campaign.navigation import local_path

bp = Blueprint("accounts", __name__, url_prefix="/auth")

#: Service error codes at registration → (form field, message).
REGISTRATION_ERRORS = {
    "email_taken": ("email", _l("An account with this email already exists.")),
    "password_too_short": ("password", _l("This password is too short.")),
    "password_too_long": ("password", _l("This password is too long.")),
}

login_manager.login_view = "accounts.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str):
    return service.load_session_organiser(session_id)


def _start_session(organiser) -> None:
    # A fresh session at sign-in: nothing planted before it survives (session fixation).
    session.clear()
    login_user(organiser)


@bp.route("/register", methods=["GET", "POST"])
@limit("REGISTER", methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            organiser = service.create_organiser(
                form.email.data, form.password.data, form.display_name.data
            )
        except service.AccountError as error:
            field, message = REGISTRATION_ERRORS[error.code]
            getattr(form, field).errors.append(message)
        else:
            db.session.commit()
            _start_session(organiser)
            flash(_("Welcome! Your organiser account is ready."), "success")
            return redirect(url_for("events.dashboard"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limit("SIGN_IN", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            organiser = service.authenticate(form.email.data, form.password.data)
        except service.AccountError:
            form.password.errors.append(_("Wrong email or password."))
        else:
            db.session.commit()
            _start_session(organiser)
            return redirect(local_path(request.args.get("next")) or url_for("events.dashboard"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        service.end_all_sessions(current_user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out."), "success")
    return redirect(url_for("campaigns.index"))
