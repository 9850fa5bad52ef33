"""The answer to a campaign feed request once its version is known: a 304, the built copy
this worker keeps, or the build to make. One function, called by Flask's view
(``campaign.exports.views.campaign_calendar``) and by the fast path in front of Flask
(``campaign.exports.fastpath``), so the two cannot answer differently."""

from dataclasses import dataclass

from werkzeug.http import http_date, is_resource_modified, parse_accept_header

from campaign.exports.feeds import (
    CachedFeed,
    FeedCache,
    FeedVersion,
    feed_headers,
    feed_validator_headers,
)

#: Where an app keeps its built campaign feeds (one cache per app, so per worker).
FEED_CACHE = "campaign_feed_cache"


def feed_cache(app) -> FeedCache:
    return app.extensions.setdefault(FEED_CACHE, FeedCache())


@dataclass(frozen=True)
class FeedAnswer:
    """A 304 or a 200 from the cache (``body`` set, security headers not included), or the
    build to make (``body`` None): cached under ``cache_key``, gzipped or not."""

    status: int
    headers: list
    body: bytes | None
    cache_key: str
    gzipped: bool


def accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding allows gzip (RFC 9110 12.5.3): named, or ``*``, with a
    quality above 0; ``gzip;q=0`` refuses it."""
    return parse_accept_header(header)["gzip"] > 0


def answer(version: FeedVersion, slug: str, environ, cache: FeedCache) -> FeedAnswer:
    """Only the ETag decides: Last-Modified has one-second steps and each worker's clock, so
    a change in the same second as a fetch would be missed by If-Modified-Since."""
    etag = version.etag
    gzipped = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
    key = etag + (".gz" if gzipped else "")
    if environ.get("HTTP_IF_NONE_MATCH") and not is_resource_modified(environ, etag=etag):
        return FeedAnswer(304, feed_validator_headers(etag), b"", key, gzipped)
    cached = cache.get(key)
    if cached is None:
        return FeedAnswer(200, [], None, key, gzipped)
    return FeedAnswer(200, feed_headers(cached, slug, gzipped, etag), cached.body, key, gzipped)


def built(version: FeedVersion, slug: str, reply: FeedAnswer, body: bytes, cache) -> FeedAnswer:
    """Keep a feed built for ``reply`` and answer with it."""
    cached = CachedFeed(body, http_date(version.last_modified))
    cache.put(reply.cache_key, cached)
    headers = feed_headers(cached, slug, reply.gzipped, version.etag)
    return FeedAnswer(200, headers, body, reply.cache_key, reply.gzipped)
