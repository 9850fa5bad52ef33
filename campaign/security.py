"""Headers on every response, cookie flags, the proxy in front, and secrets kept out of logs.

See docs/threat-model.md for what each of these defends against.
"""

import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

#: Secrets that travel in URLs, also URL-encoded (as in a ``?next=`` carrying another path):
#: a member's token (/me/<token>), a group's join code (/j/<code>, /j?code=…: it lets
#: anyone into the group and to its meeting point). And PostgreSQL's error details, which
#: repeat a refused row's values ("Key (x)=(…)", "Failing row contains (…)"). One pattern,
#: one pass over each log line; the kept prefix is whichever group matched.
_SLASH = r"(?:/|%2[Ff])"
SECRETS_IN_TEXT = re.compile(
    rf"({_SLASH}(?:me|j){_SLASH})[A-Za-z0-9_-]+"
    r"|((?:[?&]|%3[Ff]|%26)code(?:=|%3[Dd]))[^&\s\"'%]+"
    r"|(DETAIL:\s+)[^\n]*"
)


def _redacted(match: re.Match) -> str:
    return (match[1] or match[2] or match[3]) + "[redacted]"


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
    return SECRETS_IN_TEXT.sub(_redacted, text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a log record so that no handler or formatter can print a secret from it.

    The message is formatted once and redacted (an argument's ``str()`` may hold a URL), and
    the traceback is rendered now and redacted: ``exc_info`` is dropped, so a formatter of
    its own cannot render the raw exception again (the stdlib one prints ``exc_text``).
    """
    try:
        message = record.getMessage()
    except Exception:  # a bad format: logging reports it when it emits the record
        return record
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactTokens(logging.Filter):
    """The same redaction as a filter, for handlers a deployment configures itself
    (``logging.config``: ``{"()": "campaign.security.RedactTokens"}``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_log_redaction() -> None:
    """Redact every log record of the process when it is made: all loggers (root, Flask's
    ``campaign``, SQLAlchemy, gunicorn, ones created later) and all handlers (pytest's,
    gunicorn's files, a deployment's own). Process-wide on purpose: a logger filter only
    sees records logged on that very logger, and handlers come and go. Idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts_secrets", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        return redact_record(factory(*args, **kwargs))

    make_record.redacts_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


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
            "worker-src 'self'",  # /sw.js: the member page and sign work offline
            "manifest-src 'self'",
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
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config.get("PREFERRED_URL_SCHEME") == "https"
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])

    install_log_redaction()

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
