"""Response helpers shared by blueprints."""

from functools import wraps

from flask import make_response


def private(view):
    """For pages with personal data: never cached, never leaked in a Referer header.

    Member pages carry their secret in the URL, so the Referer must not carry it anywhere.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper
