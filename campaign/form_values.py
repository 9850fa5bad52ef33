"""Only text reaches a form: one check for every form the app has.

Flask-WTF fills a form from ``request.files`` and ``request.form`` together, or from a JSON
body when there is no form data, so a multipart file part named like a text field reached
the field's validators as a ``FileStorage`` and a JSON number as an ``int``: 500s. No form
here takes anything but text, except the file fields of ``FILE_FIELDS`` (a campaign's
logo, decoded by Pillow in campaign/campaigns/branding.py), so any request that sends
anything else is refused before a view runs, whatever the endpoint.
"""

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l

#: The methods Flask-WTF reads a form from (``flask_wtf.form.SUBMIT_METHODS``).
SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

NOT_TEXT = _l(
    "This form takes typed text only, and something else was sent in it (a file, or data "
    "that is not text). Please fill in the form again."
)


#: The only file parts a request may carry: endpoint → the file fields of its form.
FILE_FIELDS = {
    "campaigns.new_campaign": frozenset({"logo_file"}),
    "campaigns.edit_campaign": frozenset({"logo_file"}),
}


def _is_text(value) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(item, str) for item in value)
    )


def carries_non_text_values() -> bool:
    """Whether this request would hand a form anything but strings."""
    if request.method not in SUBMIT_METHODS:
        return False
    if request.files:
        return not set(request.files) <= FILE_FIELDS.get(request.endpoint or "", frozenset())
    if request.is_json and not request.form:
        data = request.get_json(silent=True)
        return not isinstance(data, dict) or not all(_is_text(v) for v in data.values())
    return False


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_non_text_values():
        if carries_non_text_values():
            return render_template("errors.html", code=400, message=NOT_TEXT), 400
        return None
