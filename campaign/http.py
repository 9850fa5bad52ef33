"""Response helpers shared by blueprints."""

from functools import wraps

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
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


#: The service worker and the manifests are fetched again whenever the browser checks for an
#: update: never kept stale by a cache (the worker's own code decides what works offline).
NO_CACHE = "no-cache"


def _manifest(name: str, short_name: str, start_url: str) -> Response:
    """A web app manifest: the member page, sign and event pages install as an app."""
    from campaign.i18n import text_direction

    language = str(get_locale() or "en")
    response = jsonify(
        {
            "name": name,
            "short_name": short_name,
            "lang": language,
            "dir": text_direction(language),
            "start_url": start_url,
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b5cad",
            "icons": [
                {
                    "src": url_for("static", filename=f"icons/icon-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in (192, 512)
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response


def service_worker() -> Response:
    """static/sw.js served from the root, so that its scope covers /me/ and /e/ pages."""
    response = send_from_directory(
        current_app.static_folder or "static", "sw.js", mimetype="text/javascript", max_age=0
    )
    response.headers["Cache-Control"] = NO_CACHE
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def manifest() -> Response:
    response = _manifest(
        _("Campaign organiser"), _("Campaign organiser"), url_for("campaigns.index")
    )
    response.headers["Cache-Control"] = NO_CACHE
    return response


@private
def member_manifest(token: str) -> Response:
    """Installed from a member page, the app opens on that page (the token stays in a
    /me/ path: never cached by a proxy, redacted from logs like the page itself)."""
    from campaign.access import membership_or_404

    event = membership_or_404(token).group.event
    return _manifest(event.title, _("Your group"), url_for("groups.member", token=token))


def init_app(app: Flask) -> None:
    app.add_url_rule("/sw.js", view_func=service_worker)
    app.add_url_rule("/manifest.webmanifest", view_func=manifest)
    app.add_url_rule("/me/<token>/app.webmanifest", view_func=member_manifest)

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
