"""The answer to a campaign feed request once its version is known: a 304, the built copy
this worker keeps, or the build to make. One function, called by Flask's view
(``campaign.exports.views.campaign_calendar``) and by the fast path in front of Flask
(``campaign.exports.fastpath``), so the two cannot answer differently."""

from dataclasses import dataclass

from werkzeug.http import is_resource_modified, parse_accept_header

from campaign.exports.feeds import (
    CachedFeed,
    FeedCache,
    FeedVersion,
    feed_headers,
    feed_validator_headers,
    last_modified_validator,
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


def answer(version: FeedVersion, slug: str, environ, cache: FeedCache, now) -> FeedAnswer:
    """If-None-Match decides when sent (RFC 9110 13.2.2); else If-Modified-Since, against a
    Last-Modified given only once the second of the last change is over
    (``feeds.last_modified_validator``), so a change in the same second as a fetch is never
    answered 304."""
    etag = version.etag
    gzipped = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
    key = etag + (".gz" if gzipped else "")
    cached = cache.get(key)
    changed = version.last_modified
    if changed is None and cached is not None:
        changed = cached.changed  # the fast path reads no change time: the copy has it
    last_modified = last_modified_validator(changed, now)
    asks = environ.get("HTTP_IF_NONE_MATCH") or (
        environ.get("HTTP_IF_MODIFIED_SINCE") and last_modified is not None
    )
    if asks and not is_resource_modified(environ, etag=etag, last_modified=last_modified):
        return FeedAnswer(304, feed_validator_headers(etag), b"", key, gzipped)
    if cached is None:
        return FeedAnswer(200, [], None, key, gzipped)
    headers = feed_headers(cached, slug, gzipped, etag, last_modified)
    return FeedAnswer(200, headers, cached.body, key, gzipped)


def built(
    version: FeedVersion, slug: str, reply: FeedAnswer, body: bytes, cache, now
) -> FeedAnswer:
    """Keep a feed built for ``reply`` and answer with it. ``version`` is Flask's, read
    with the campaign's change time."""
    if version.last_modified is None:
        raise ValueError("a feed is kept with the time of its last change")
    cached = CachedFeed(body, version.last_modified)
    cache.put(reply.cache_key, cached)
    last_modified = last_modified_validator(version.last_modified, now)
    headers = feed_headers(cached, slug, reply.gzipped, version.etag, last_modified)
    return FeedAnswer(200, headers, body, reply.cache_key, reply.gzipped)
