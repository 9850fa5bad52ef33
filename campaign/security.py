"""Headers on every response, cookie flags, the proxy in front, and secrets kept out of logs.

See docs/threat-model.md for what each of these defends against.
"""

import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

#: /me/<token> carries a member's secret; it must never reach a log file.
TOKEN_IN_PATH = re.compile(r"(/me/)[A-Za-z0-9_-]{16,}")

PERMISSIONS_POLICY = ", ".join(
    [
        "geolocation=(self)",  # "near me" on the campaign page
        "screen-wake-lock=(self)",  # the sign on screen
        "fullscreen=(self)",
        "camera=()",
        "microphone=()",
        "payment=()",
        "usb=()",
    ]
)


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    """Replaces member tokens in log records (werkzeug's and gunicorn's access lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            if isinstance(record.args, dict):
                record.args = {
                    k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
                }
            else:
                record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


@lru_cache(maxsize=8)
def content_security_policy(tile_url: str) -> str:
    images = ["'self'", "data:"]
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else parts.netloc
        images.append(f"{parts.scheme}://{host}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        # Behind a reverse proxy: the client's address (for rate limits) and scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config.get("PREFERRED_URL_SCHEME") == "https"
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])

    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "flask.app"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in security_headers(current_app.config, request.is_secure):
            response.headers.setdefault(name, value)
        return response


def security_headers(config, is_secure: bool) -> list[tuple[str, str]]:
    """The headers every response carries (also those answered before Flask, in
    ``campaign.exports.fastpath``)."""
    headers = [
        ("Content-Security-Policy", content_security_policy(config.get("MAP_TILE_URL", ""))),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if is_secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers
