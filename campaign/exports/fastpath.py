"""Campaign feeds answered before Flask.

Calendar apps poll a subscribed feed all day, and nearly every poll is answered with 304 Not
Modified or with bytes this worker already built. Both are answered here, in WSGI middleware
in front of Flask: one primary-key read on a pooled connection, no session, no template, no
extension hooks. Anything else (a feed this worker has not built yet, a bad or odd filter, an
unknown campaign, a HEAD request) goes on to Flask, whose view
(``campaign.exports.views.campaign_calendar``) answers the same way from the same functions:
the ETag from ``feeds.feed_etag``, the headers from ``feeds.feed_validator_headers`` and
``security.security_headers``, the 200 from ``views.feed_response``.

The ETag never lies: it is computed from the campaign's feed revision read from the database
on every request, so no worker answers from a stale copy. Where this path and Flask could
read a request differently, the worst outcome is a miss and Flask answers.
"""

import re
from datetime import UTC, datetime

from flask import Flask, Response
from sqlalchemy import bindparam, select
from werkzeug.http import is_resource_modified
from werkzeug.wrappers import Request

from campaign.errors import has_control_characters
from campaign.exports import feeds
from campaign.exports.views import feed_response
from campaign.extensions import db
from campaign.i18n import locale_of
from campaign.models import Campaign
from campaign.security import security_headers

#: The feed's URL; campaign slugs are lower-case letters, digits and hyphens.
FEED_PATH = re.compile(r"/c/([a-z0-9-]{1,64})/calendar\.ics")


class FeedFastPath:
    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        with app.app_context():
            self.engine = db.engine
        statement = select(Campaign.id, Campaign.feed_revision).where(
            Campaign.slug == bindparam("slug")
        )
        compiled = statement.compile(dialect=self.engine.dialect)
        self._sql = str(compiled)
        self._compiled = compiled
        self._positional = self.engine.dialect.positional

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            match = FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                try:
                    response = self.answer(environ, match.group(1))
                except Exception:
                    if self.app.testing:
                        raise
                    self.app.logger.exception("feed fast path failed; Flask answers instead")
                    response = None
                if response is not None:
                    return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _revision(self, slug: str) -> tuple[int, int] | None:
        params = self._compiled.construct_params({"slug": slug})
        if self._positional:
            params = tuple(params[name] for name in self._compiled.positiontup)
        connection = self.engine.raw_connection()  # from the pool; returned (rolled back) below
        try:
            cursor = connection.cursor()
            cursor.execute(self._sql, params)
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
        return (row[0], row[1]) if row else None

    def answer(self, environ, slug: str) -> Response | None:
        """A 304 or the cached 200, or None for Flask to answer."""
        request = Request(environ)
        if self.app.config["SESSION_COOKIE_NAME"] in request.cookies:
            return None  # Flask may refresh a signed-in session's cookies on the way out
        arguments = request.args.items(multi=True)
        if any(has_control_characters(k) or has_control_characters(v) for k, v in arguments):
            return None  # Flask refuses these with its error page
        try:
            filters = feeds.FeedFilters.from_args(request.args)
        except feeds.FeedFilterError:
            return None
        found = self._revision(slug)
        if found is None:
            return None
        campaign_id, revision = found
        locale = locale_of(request, self.app.config["LANGUAGES"])
        now = datetime.now(UTC)
        etag = feeds.feed_etag(campaign_id, revision, now, filters, request.url_root, locale)
        if request.if_none_match and not is_resource_modified(environ, etag=etag):
            response = Response(status=304)
            response.headers.extend(feeds.feed_validator_headers(etag))
        else:
            gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
            cache = self.app.extensions.get("campaign_feed_cache")
            cached = cache.get(etag + (".gz" if gzipped else "")) if cache else None
            if cached is None:
                return None  # built by Flask, then cached for the next poll
            response = feed_response(cached, slug, gzipped, etag)
        for name, value in security_headers(self.app.config, request.is_secure):
            response.headers.setdefault(name, value)
        return response


def install(app: Flask) -> None:
    """Put the fast path in front of Flask (inside ProxyFix, so it sees the client's host
    and scheme as Flask does). ``FEED_FAST_PATH = False`` turns it off."""
    # Not with settings whose checks run in Flask's hooks: trusted hosts, default rate limits.
    checked_in_flask = ("TRUSTED_HOSTS", "RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")
    if app.config.get("FEED_FAST_PATH", True) and not any(
        app.config.get(name) for name in checked_in_flask
    ):
        app.wsgi_app = FeedFastPath(app, app.wsgi_app)
