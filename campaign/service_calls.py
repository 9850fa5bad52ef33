"""The step a view takes to change something: call the service, then commit and say so, or
roll back and show the refusal in words (never a code), on the form or as a flash."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template
from werkzeug import Response

from campaign.extensions import db
from campaign.service_errors import ServiceError, message_for


@dataclass
class Outcome:
    #: The service made the change (not committed yet).
    done: bool
    result: Any = None
    #: A refusal's messages that belong to no field of the form.
    general_errors: list[str] = field(default_factory=list)


def submit(form, change: Callable[[], Any]) -> Outcome:
    """Validate ``form`` and call ``change()``. A refusal is rolled back and shown on the
    form (``form.show_problems``, see ``campaign.forms.ServiceProblemsForm``)."""
    if not form.validate_on_submit():
        return Outcome(False)
    try:
        result = change()
    except ServiceError as error:
        db.session.rollback()
        return Outcome(False, general_errors=form.show_problems(error.problems))
    return Outcome(True, result)


def save_form(
    form, change: Callable[[], Any], *, saved, then: Callable[[Any], str]
) -> tuple[Response | None, list[str]]:
    """A form page's POST: ``submit``, then commit, flash ``saved`` and redirect to
    ``then(result)``. Returns the redirect (None while the form is to be shown again) and
    the messages for the top of the form."""
    outcome = submit(form, change)
    if not outcome.done:
        return None, outcome.general_errors
    db.session.commit()
    flash(str(saved), "success")
    return redirect(then(outcome.result)), []


def form_page(template: str, form, change: Callable[[], Any], *, saved, then, **context):
    """A form page: on a valid POST ``save_form``; else (or refused) the page, with the
    refusal's general messages as ``general_errors``."""
    done, general_errors = save_form(form, change, saved=saved, then=then)
    return done or render_template(template, form=form, general_errors=general_errors, **context)


def apply_change(change: Callable[[], Any], *, done, back: str, messages: Mapping) -> Response:
    """A button's POST: call ``change()``; commit and flash ``done``, or roll back and flash
    the refusal in words from the feature's ``messages``. Either way, back to ``back``."""
    try:
        change()
    except ServiceError as error:
        db.session.rollback()
        flash(str(message_for(error.code, messages)), "error")
    else:
        db.session.commit()
        flash(str(done), "success")
    return redirect(back)
