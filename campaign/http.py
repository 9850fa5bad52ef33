"""Response helpers shared by blueprints."""

from functools import wraps

from flask import Flask, Response, make_response, request, send_from_directory
from flask_login import current_user


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


#: Paths whose pages are someone's own: a member's secret page, the organisers' pages, the
#: account and sign-in forms.
PRIVATE_PATHS = ("/me/", "/organise", "/auth/")


#: Browsers ask for /favicon.ico on a first visit whatever the page links: a day in caches.
FAVICON_MAX_AGE = 24 * 3600


def init_app(app: Flask) -> None:
    @app.get("/favicon.ico")
    def favicon() -> Response:
        return send_from_directory(
            app.static_folder or "static",
            "favicon.ico",
            mimetype="image/vnd.microsoft.icon",
            max_age=FAVICON_MAX_AGE,
        )

    @app.after_request
    def no_store_for_private_pages(response: Response) -> Response:
        """One rule for every page with personal data: not kept by a browser or a proxy,
        unless its view chose its own caching (feeds, QR codes) or it is a static file."""
        if "Cache-Control" in response.headers or request.endpoint == "static":
            return response
        if request.path.startswith(PRIVATE_PATHS) or current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
