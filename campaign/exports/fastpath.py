"""Campaign feeds answered before Flask.

Calendar apps poll a subscribed feed all day, and nearly every poll is answered with 304 Not
Modified or with bytes this worker already built. Both are answered here, in WSGI middleware
in front of Flask: one primary-key read on a pooled connection, no session, no template, no
extension hooks. Anything else (a feed this worker has not built yet, a bad or odd filter, an
unknown campaign, a HEAD request) goes on to Flask, whose view
(``campaign.exports.views.campaign_calendar``) reads the same row (``feeds.FEED_REVISION``),
makes the same version (``feeds.version_of``) and answers through the same function
(``feed_answer.answer``); the security headers are ``security.security_headers``.

The ETag never lies: it is computed from the campaign's feed revision read from the database
on every request, so no worker answers from a stale copy. Where this path and Flask could
read a request differently, the worst outcome is a miss and Flask answers.
"""

import contextlib
import os
import re
import threading
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import event
from werkzeug.wrappers import Request

from campaign.errors import arguments_have_control_characters
from campaign.exports import feed_answer, feeds
from campaign.extensions import db
from campaign.i18n import LANGUAGE_COOKIE
from campaign.security import security_headers

#: The status lines of the answers given here.
STATUS_LINES = {200: "200 OK", 304: "304 NOT MODIFIED"}
#: The feed's URL; campaign slugs are lower-case letters, digits and hyphens.
FEED_PATH = re.compile(r"/c/([a-z0-9-]{1,64})/calendar\.ics")


class _Memo(dict):
    """A small memo of pure answers (origins, locales): emptied when full, so odd headers
    cannot grow a worker's memory."""

    def remember(self, key, compute):
        value = self.get(key)
        if value is None:
            if len(self) >= 256:
                self.clear()
            value = self[key] = compute()
        return value


class FeedFastPath:
    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        with app.app_context():
            self.engine = db.engine
        self._compiled = feeds.FEED_REVISION.compile(dialect=self.engine.dialect)
        self._sql = str(self._compiled)
        self._positional = self.engine.dialect.positional
        self._session_cookie = app.config["SESSION_COOKIE_NAME"]
        self._languages = app.config["LANGUAGES"]
        self._catalog = app.config.get("CATALOG_VERSION", "")
        self._security = {secure: security_headers(app.config, secure) for secure in (False, True)}
        self._origins = _Memo()
        self._locales = _Memo()
        self._local = threading.local()
        event.listen(self.engine, "engine_disposed", lambda _engine: self._close())

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                try:
                    answer = self.answer(environ, match.group(1))
                except Exception as error:
                    if self.app.testing:
                        raise
                    self._close()
                    self.app.logger.warning("feed fast path: %r; Flask answers instead", error)
                    answer = None
                if answer is not None:
                    status, headers, body = answer
                    start_response(status, headers)
                    return [body]
        return self.wsgi_app(environ, start_response)

    # --- the one read --------------------------------------------------------------------

    def _connection(self):
        """This thread's own connection, taken from the engine's pool and detached from it
        (no checkout, ping and reset per poll); opened again after a fork or an error."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.connection, local.pid = None, os.getpid()
        if local.connection is None:
            connection = self.engine.raw_connection()
            connection.detach()
            local.connection = connection
        return local.connection

    def _close(self) -> None:
        connection, self._local.connection = getattr(self._local, "connection", None), None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to do
                connection.close()

    def _revision(self, slug: str) -> tuple[int, int] | None:
        params = self._compiled.construct_params({"slug": slug})
        if self._positional:
            params = tuple(params[name] for name in self._compiled.positiontup)
        connection = self._connection()
        cursor = connection.cursor()
        try:
            cursor.execute(self._sql, params)
            row = cursor.fetchone()
        finally:
            cursor.close()
        connection.rollback()  # no transaction left open between polls
        return (row[0], row[1]) if row else None

    # --- the answer --------------------------------------------------------------------

    def _origin(self, environ) -> str:
        key = (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
        )
        return self._origins.remember(key, lambda: feeds.feed_origin(self.app.config, environ))

    def _locale(self, environ, request: Request) -> str:
        """As Flask's view reads it (``feeds.feed_locale``): ``?lang=``, else the cookie,
        else Accept-Language. All three are in the memo's key."""
        asked = request.args.get(feeds.LANGUAGE_PARAMETER) if environ.get("QUERY_STRING") else None
        chosen = request.cookies.get(LANGUAGE_COOKIE) if "HTTP_COOKIE" in environ else None
        key = (asked, chosen, environ.get("HTTP_ACCEPT_LANGUAGE"))
        return self._locales.remember(key, lambda: feeds.feed_locale(request, self._languages))

    def answer(self, environ, slug: str) -> tuple[str, list, bytes] | None:
        """A 304 or the cached 200 (status, headers, body), or None for Flask to answer."""
        request = Request(environ)
        if "HTTP_COOKIE" in environ and self._session_cookie in request.cookies:
            return None  # Flask may refresh a signed-in session's cookies on the way out
        filters = feeds.FeedFilters()
        if environ.get("QUERY_STRING"):
            if arguments_have_control_characters(request.args):
                return None  # Flask refuses these with its error page
            try:
                filters = feeds.FeedFilters.from_args(request.args)
            except feeds.FeedFilterError:
                return None
        found = self._revision(slug)
        if found is None:
            return None
        ask = feeds.FeedAsk(
            slug,
            filters,
            self._locale(environ, request),
            environ.get("SCRIPT_NAME", ""),
            self._origin(environ),
            self._catalog,
        )
        now = datetime.now(UTC)
        version = feeds.version_of(ask, found, now)
        reply = feed_answer.answer(version, slug, environ, feed_answer.feed_cache(self.app), now)
        if reply.body is None:
            return None  # built by Flask, then cached for the next poll
        security = self._security[environ.get("wsgi.url_scheme") == "https"]
        return STATUS_LINES[reply.status], reply.headers + security, reply.body


def install(app: Flask) -> None:
    """Put the fast path in front of Flask (inside ProxyFix, so it sees the client's host
    and scheme as Flask does). ``FEED_FAST_PATH = False`` turns it off."""
    # Not with settings whose checks run in Flask's hooks: trusted hosts, default rate limits.
    checked_in_flask = ("TRUSTED_HOSTS", "RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")
    if app.config.get("FEED_FAST_PATH", True) and not any(
        app.config.get(name) for name in checked_in_flask
    ):
        app.wsgi_app = FeedFastPath(app, app.wsgi_app)
