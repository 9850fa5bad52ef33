import time
from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from campaign.accounts import devices, service
from campaign.accounts.forms import (
    ACCOUNT_MESSAGES,
    ChangeEmailForm,
    ChangePasswordForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    LoginForm,
    RegisterForm,
    TwoFactorForm,
)
from campaign.exports.qr import qr_svg
from campaign.extensions import db, login_manager
from campaign.forms import EmptyForm
from campaign.http import private
from campaign.limits import limit
from campaign.models import Organiser, utcnow
from campaign.navigation import local_path
from campaign.service_calls import submit

bp = Blueprint("accounts", __name__, url_prefix="/auth")

#: Seconds between the password and the second factor before starting again.
TWO_FACTOR_WINDOW = 300
PENDING = "two_factor_pending"
SETUP = "two_factor_setup"  # the key being set up, until confirmed

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


def _signed_in(organiser, target: str):
    """Sign in, and make this browser one of the organiser's known devices."""
    cookie = devices.remember(organiser, request.cookies.get(devices.COOKIE), now=utcnow())
    db.session.commit()
    _start_session(organiser)
    response = redirect(target)
    _set_device_cookie(response, cookie)
    return response


def _set_device_cookie(response, value: str) -> None:
    response.set_cookie(
        devices.COOKIE,
        value,
        max_age=int(devices.LIFETIME.total_seconds()),
        path=url_for(".login").rsplit("/", 1)[0],  # only the sign-in pages see it
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE") or request.is_secure),
        httponly=True,
        samesite="Lax",  # as the session cookie
    )


@bp.route("/register", methods=["GET", "POST"])
@limit("REGISTER", methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            service.create_organiser(form.email.data, form.password.data, form.display_name.data)
        except service.AccountError as error:
            db.session.rollback()
            if error.code != "email_taken":
                form.show_problems(error.problems)
                return render_template("accounts/register.html", form=form)
        else:
            db.session.commit()
        # The same answer for a new account and a taken email.
        flash(
            _(
                "Thank you. Now sign in with this email and password. If the email had an"
                " account already, that account and its password are unchanged."
            ),
            "success",
        )
        return redirect(url_for(".login"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limit("SIGN_IN", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            organiser = service.authenticate(
                form.email.data, form.password.data, device=request.cookies.get(devices.COOKIE)
            )
        except service.AccountError:
            db.session.commit()  # the failure counts towards the backoff
            form.password.errors.append(str(ACCOUNT_MESSAGES["bad_credentials"]))
        else:
            target = local_path(request.args.get("next")) or url_for("events.dashboard")
            if not organiser.has_two_factor:
                return _signed_in(organiser, target)
            db.session.commit()
            session.clear()
            session[PENDING] = {"id": organiser.id, "at": time.time(), "next": target}
            return redirect(url_for(".two_factor"))
    return render_template("accounts/login.html", form=form)


@bp.route("/two-factor", methods=["GET", "POST"])
@limit("SIGN_IN", methods=["POST"])
def two_factor():
    pending = session.get(PENDING)
    if not pending or time.time() - pending["at"] > TWO_FACTOR_WINDOW:
        session.pop(PENDING, None)
        return redirect(url_for(".login"))
    organiser = db.session.get(Organiser, pending["id"])
    if organiser is None or not organiser.has_two_factor:
        session.pop(PENDING, None)
        return redirect(url_for(".login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            service.check_second_factor(
                organiser, form.code.data, device=request.cookies.get(devices.COOKIE)
            )
        except service.AccountError as error:
            db.session.commit()  # the failure counts towards the backoff
            form.show_problems(error.problems)
        else:
            return _signed_in(organiser, pending["next"])
    return render_template("accounts/two_factor.html", form=form)


# --- the organiser's own account -------------------------------------------------------------


def _account_page(**forms):
    organiser = current_user
    defaults = {
        "password_form": ChangePasswordForm(prefix="password"),
        "email_form": ChangeEmailForm(prefix="email"),
        "enable_form": EnableTwoFactorForm(prefix="enable"),
        "disable_form": DisableTwoFactorForm(prefix="disable"),
    }
    defaults.update(forms)
    secret = None
    qr = None
    if not organiser.has_two_factor:
        secret = session.get(SETUP) or service.new_totp_secret()
        session[SETUP] = secret
        uri = service.totp_uri(organiser, secret, current_app.config.get("TOTP_ISSUER", "campaign"))
        # Our own SVG, drawn from the key: no user text in it.
        qr = Markup(qr_svg(uri).decode())  # noqa: S704  # nosec B704
    return render_template("accounts/account.html", secret=secret, qr=qr, **defaults)


@bp.get("/account")
@login_required
@private
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
@private
def change_password():
    form = ChangePasswordForm(prefix="password")
    change = partial(service.change_password, current_user, form.current_password.data)
    if not submit(form, lambda: change(form.new_password.data)).done:
        return _account_page(password_form=form)
    flash(_("Password changed. You were signed out everywhere else."), "success")
    # A new session (every other one has ended); this browser its only known device.
    return _signed_in(current_user._get_current_object(), url_for(".account"))


@bp.post("/account/email")
@login_required
@private
@limit("REGISTER", methods=["POST"])  # says whether an email has an account: not for guessing
def change_email():
    form = ChangeEmailForm(prefix="email")
    change = partial(service.change_email, current_user, form.current_password.data)
    if not submit(form, lambda: change(form.email.data)).done:
        return _account_page(email_form=form)
    db.session.commit()
    flash(_("Email changed."), "success")
    return redirect(url_for(".account"))


@bp.post("/account/two-factor/enable")
@login_required
@private
def enable_two_factor():
    form = EnableTwoFactorForm(prefix="enable")
    secret = session.get(SETUP)
    if not secret:
        return _account_page(enable_form=form)
    outcome = submit(form, lambda: service.enable_two_factor(current_user, secret, form.code.data))
    if not outcome.done:
        return _account_page(enable_form=form)
    db.session.commit()
    session.pop(SETUP, None)
    return render_template("accounts/recovery_codes.html", codes=outcome.result)


@bp.post("/account/two-factor/disable")
@login_required
@private
def disable_two_factor():
    form = DisableTwoFactorForm(prefix="disable")
    if not submit(form, lambda: service.disable_two_factor(current_user, form.password.data)).done:
        return _account_page(disable_form=form)
    db.session.commit()
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for(".account"))


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
