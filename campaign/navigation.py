"""Where to send people next."""

from urllib.parse import urlsplit

from flask import current_app, url_for


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: no open redirects via ?next=."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def absolute_url_for(endpoint: str, **values) -> str:
    """A full URL for QR codes, posters and calendar files, which leave the site.

    ``SERVER_NAME`` (with ``PREFERRED_URL_SCHEME``) names the public address when the
    app sits behind a proxy that rewrites the host; otherwise the request's host is used.
    """
    server = current_app.config.get("SERVER_NAME")
    if server:
        scheme = current_app.config.get("PREFERRED_URL_SCHEME") or "https"
        return f"{scheme}://{server}{url_for(endpoint, **values)}"
    return url_for(endpoint, _external=True, **values)
