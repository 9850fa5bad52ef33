"""gzip (or brotli, where the ``brotli`` package is installed) for text answers: WSGI
middleware that the worker puts around the app.

What is compressed: a complete answer (Content-Length known, up to ``MAX_SIZE``) of a text
type, at least ``MIN_SIZE`` bytes, that is not compressed already (the calendar feeds gzip
their own answers: Content-Encoding is set and they pass through untouched), not a range,
and not marked ``no-transform``.

BREACH: an attacker who can make a victim's browser fetch a page many times, with text of
the attacker's choosing reflected in it, and can see the sizes of the encrypted answers,
learns a secret in the same page byte by byte from how well it compresses. So a page is
compressed only when it cannot hold a secret of the reader's:

- static files always (the same bytes for everyone);
- other answers only when the request carried no cookie but the language choice (no
  session, so no CSRF token or sign-in that is the reader's: a page made without a cookie
  holds a fresh token each time, which cannot be learnt) and the answer is not marked
  ``Cache-Control: no-store`` or ``private``. Every page with personal data is marked
  no-store by the app (campaign.http), member pages included: their secret is in the URL,
  which an attacker cannot make the browser fetch without knowing it, but also in the links
  of the page, next to text other members choose (their names), on a page that reloads
  itself; so they are sent uncompressed.
"""

import gzip

from werkzeug.http import parse_accept_header, parse_cookie

try:  # optional: gzip is enough, brotli is about a fifth smaller on text
    import brotli
except ImportError:  # pragma: no cover - depends on what is installed
    brotli = None

#: Types worth compressing; images, fonts (WOFF2 is compressed) and PDFs are not.
TEXT_TYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/csv",
        "text/calendar",
        "text/javascript",
        "text/xml",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "application/manifest+json",
        "application/xml",
        "image/svg+xml",
    }
)
#: Smaller answers fit in a packet either way.
MIN_SIZE = 512
#: Larger ones are streamed as they are rather than held in memory whole.
MAX_SIZE = 4 * 1024 * 1024
#: Cookies that hold nothing secret: the language chosen.
PUBLIC_COOKIES = frozenset({"lang"})
STATIC_PREFIXES = ("/static/",)
GZIP_LEVEL = 6
BROTLI_QUALITY = 5


def choose_coding(accept_encoding: str, brotli_available: bool) -> str | None:
    """ "br", "gzip" or None: what the client takes, best first by its own q-values."""
    accepted = parse_accept_header(accept_encoding)
    gzip_q = accepted.quality("gzip")
    brotli_q = accepted.quality("br") if brotli_available else 0
    if brotli_q > 0 and brotli_q >= gzip_q:
        return "br"
    if gzip_q > 0:
        return "gzip"
    return None


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class Compress:
    """Compresses the app's text answers; see the module's doc for which."""

    def __init__(self, app, *, brotli_available: bool | None = None):
        self.app = app
        self.brotli = brotli is not None if brotli_available is None else brotli_available

    def may_hold_secret(self, environ: dict, headers: list[tuple[str, str]]) -> bool:
        if environ.get("PATH_INFO", "").startswith(STATIC_PREFIXES):
            return False
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if any(name not in PUBLIC_COOKIES for name in cookies):
            return True
        cache_control = (_header(headers, "Cache-Control") or "").lower()
        return "no-store" in cache_control or "private" in cache_control

    def eligible(self, environ: dict, status: str, headers: list[tuple[str, str]]) -> bool:
        """Whether this answer would be compressed for a client that takes gzip."""
        code = int(status.split(" ", 1)[0])
        if code < 200 or code in (204, 206, 304) or environ.get("REQUEST_METHOD") == "HEAD":
            return False
        if _header(headers, "Content-Encoding") or _header(headers, "Content-Range"):
            return False
        content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in TEXT_TYPES:
            return False
        if "no-transform" in (_header(headers, "Cache-Control") or "").lower():
            return False
        length = _header(headers, "Content-Length")
        if length is None or not length.isdigit() or not MIN_SIZE <= int(length) <= MAX_SIZE:
            return False
        return not self.may_hold_secret(environ, headers)

    def __call__(self, environ, start_response):
        coding = choose_coding(environ.get("HTTP_ACCEPT_ENCODING", ""), self.brotli)
        held = {}

        def hold(status, headers, exc_info=None):
            if not self.eligible(environ, status, headers):
                return start_response(status, headers, exc_info)
            headers = [*headers, ("Vary", "Accept-Encoding")]
            if coding is None:
                return start_response(status, headers, exc_info)
            held.update(status=status, headers=headers, exc_info=exc_info, chunks=[])
            return held["chunks"].append  # the old write() callable, for apps that use it

        body = self.app(environ, hold)
        if not held:
            return body
        try:
            data = b"".join([*held["chunks"], *body])
        finally:
            if hasattr(body, "close"):
                body.close()
        packed = self.compress(data, coding)
        headers = []
        for name, value in held["headers"]:
            lower = name.lower()
            if lower == "content-length":
                continue
            if lower == "etag" and not value.startswith("W/"):
                value = "W/" + value  # the same resource, other bytes: a weak validator
            headers.append((name, value))
        headers += [("Content-Encoding", coding), ("Content-Length", str(len(packed)))]
        start_response(held["status"], headers, held["exc_info"])
        return [packed]

    @staticmethod
    def compress(data: bytes, coding: str) -> bytes:
        if coding == "br":
            return brotli.compress(data, quality=BROTLI_QUALITY)
        return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
