"""Error pages: a clear message, never a stack trace; a failed request writes nothing."""

import errno
import logging

from flask import Flask, current_app, g, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from campaign.access import NotAllowed
from campaign.extensions import db, login_manager
from campaign.service_errors import UNWORDED_REFUSAL, ServiceError

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to do that."),
    404: _l("There is nothing here. Check the address, or the event may not be public."),
    405: _l("That does not work with this address."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Nothing you sent was half-saved."),
    503: _l("We are very busy right now. Nothing you sent was saved: try again in a moment."),
    "nul": _l("What you sent contains a character that cannot be stored (NUL). Remove it."),
}


def _page(code: int, message):
    return render_template("errors.html", code=code, message=message), code


#: SQLite's words for a lock it could not get in time, a full disk or a missing file.
_SQLITE_TEMPORARY = ("locked", "busy", "disk is full", "disk i/o error", "unable to open")
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


def is_temporary(error: BaseException) -> bool:
    """A failure that a retry a little later may not meet: a lock not had in time, a
    statement timeout, the database unreachable, a full disk. Also a database error met
    while cleaning up after one: on a full disk SQLite rolls back the whole transaction, so
    the ROLLBACK TO SAVEPOINT that follows fails with "no such savepoint"."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if _temporary_itself(current):
            return True
        if not _database_error(current):
            return False
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _database_error(error: BaseException) -> bool:
    """SQLAlchemy's wrapper or the driver's own error (its ``__cause__``)."""
    return isinstance(error, sa_exc.DBAPIError) or type(error).__module__.split(".")[0] in (
        "sqlite3",
        "psycopg",
    )


def _temporary_itself(error: BaseException) -> bool:
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if not isinstance(error, sa_exc.OperationalError):
            return False
        if type(error.orig).__module__.startswith("psycopg"):
            # psycopg's OperationalErrors: lock_timeout (55P03), statement_timeout (57014),
            # a lost or refused connection, disk full (53100); mistakes are other classes.
            return True
        return any(words in str(error.orig).lower() for words in _SQLITE_TEMPORARY)
    return isinstance(error, OSError) and error.errno in _DISK_ERRNOS


def busy_page():
    """503 with Retry-After: the styled page, rendered without touching the database."""
    try:
        db.session.rollback()
    except Exception:  # the database may be gone; its connection is dropped with the session
        db.session.close()
    if "_login_user" not in g:
        # The page header asks who is signed in; with the database down that is nobody.
        g._login_user = login_manager.anonymous_user()
    html, code = _page(503, MESSAGES[503])
    return html, code, {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}


def has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def arguments_have_control_characters(args) -> bool:
    """Query arguments the app refuses before any view (also asked by the feed fast path,
    which then leaves the request to Flask)."""
    return any(
        has_control_characters(key) or has_control_characters(value)
        for key, value in args.items(multi=True)
    )


def host_is_usable() -> bool:
    """Whether the request's Host (or trusted X-Forwarded-Host) is one werkzeug can route by
    and write back into a URL: not a label over 63 characters or an empty one (``BadHost``),
    not a host ``TRUSTED_HOSTS`` leaves out, not characters werkzeug reads as no host at
    all, not broken punycode (which fails only later, wherever ``request.url`` is read)."""
    if request_ctx.url_adapter is None or not request.host:
        return False
    try:
        request.host_url  # noqa: B018  (decodes the host's punycode and reads its port)
    except (UnicodeError, ValueError):
        return False
    return True


def refuse_bad_hosts(app: Flask) -> None:
    """Refuse an unusable host with a 400 page before any other hook runs, and let every
    template build its (relative) links even when Flask could not bind the URL adapter."""

    def refuse_bad_host():
        if host_is_usable():
            return None
        _host_free_url_adapter(app)
        return _page(400, _l("This address is not one this site answers to."))

    @app.context_processor
    def host_free_links():
        _host_free_url_adapter(app)
        return {}

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_host)


def _host_free_url_adapter(app: Flask) -> None:
    """Pages link with relative URLs, which need no host: when the request's host could
    not be bound, bind the configured name (or a placeholder) instead."""
    ctx = request_ctx._get_current_object() if request_ctx else None
    if ctx is not None and ctx.url_adapter is None:
        ctx.url_adapter = app.url_map.bind(
            app.config.get("SERVER_NAME") or "localhost",
            script_name=request.script_root or "/",
            url_scheme=request.scheme,
        )


def unhandled_refusal(error: ServiceError):
    """A refusal no view turned into words (a race past a view's own check): nothing is
    written, and the page says so, never with the code."""
    db.session.rollback()
    if isinstance(error, NotAllowed):
        return _page(403, MESSAGES[403])
    log.error("A view did not handle the service error %r", error.code)
    return _page(400, UNWORDED_REFUSAL)


def init_app(app: Flask) -> None:
    refuse_bad_hosts(app)

    @app.before_request
    def refuse_control_characters():
        """A NUL byte in a path or query reaches no database (PostgreSQL refuses it)."""
        if has_control_characters(request.path) or arguments_have_control_characters(request.args):
            return _page(400, MESSAGES[400])
        # Forms: line breaks and tabs are text, a NUL byte is not (PostgreSQL refuses it).
        if request.method == "POST" and any(
            "\x00" in value for _key, value in request.form.items(multi=True)
        ):
            return _page(400, MESSAGES["nul"])
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return _page(400, _l("This form has expired or was sent from elsewhere. Please try again."))

    app.register_error_handler(ServiceError, unhandled_refusal)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        return _page(code, MESSAGES.get(code, error.description))

    @app.errorhandler(sa_exc.SQLAlchemyError)
    @app.errorhandler(OSError)
    def database_or_disk_error(error: Exception):
        if not is_temporary(error):
            raise error  # a real fault: the 500 handler below, with its traceback logged
        log.warning("Answered 503 busy: %s", type(error).__name__)
        return busy_page()

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return _page(500, MESSAGES[500])
