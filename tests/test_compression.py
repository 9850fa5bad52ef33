"""Text answers are compressed by `make serve` (campaign_serving/compress.py): gzip, or
brotli where the package is installed; never twice (the feeds gzip their own), never a page
that may hold the reader's secret (BREACH: no-store pages, requests with a session cookie),
and never what is small or not text."""

import gzip
import http.client

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from bench.load import create_event, prepare_instance
from campaign_serving.compress import MIN_SIZE, Compress, choose_coding
from tests.served import Server

PAGE = ("<!doctype html><p>" + "Never go alone. " * 200).encode()


def make_app(body: bytes = PAGE, **headers):
    """A WSGI app answering ``body`` with ``headers`` (underscores become dashes)."""

    @Request.application
    def app(request):
        response = Response(body, content_type=headers.pop("content_type", "text/html"))
        for name, value in headers.items():
            response.headers[name.replace("_", "-")] = value
        return response

    return app


def fetch(app, path: str = "/c/x", **headers):
    client = Client(Compress(app, brotli_available=False), use_cookies=False)
    response = client.get(path, headers=headers)
    return response, response.get_data()


def test_a_public_page_is_gzipped_for_a_client_that_takes_gzip():
    response, body = fetch(make_app(ETag='"abc"'), Accept_Encoding="gzip, deflate")
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == PAGE
    assert int(response.headers["Content-Length"]) == len(body) < len(PAGE) / 10
    assert "Accept-Encoding" in response.headers.get_all("Vary")
    assert response.headers["ETag"] == 'W/"abc"'  # other bytes than the uncompressed answer


@pytest.mark.parametrize("accept", ["", "identity", "gzip;q=0", "br"])
def test_a_client_that_does_not_take_gzip_gets_the_page_as_it_is(accept):
    response, body = fetch(make_app(), Accept_Encoding=accept)
    assert "Content-Encoding" not in response.headers
    assert body == PAGE
    assert "Accept-Encoding" in response.headers.get_all("Vary")  # caches keep both apart


def test_an_answer_compressed_already_passes_untouched():
    packed = gzip.compress(b"BEGIN:VCALENDAR\r\n" * 100)
    app = make_app(packed, content_type="text/calendar", Content_Encoding="gzip")
    response, body = fetch(app, Accept_Encoding="gzip")
    assert response.headers.get_all("Content-Encoding") == ["gzip"]
    assert body == packed


@pytest.mark.parametrize(
    "headers",
    [{"Cache_Control": "no-store"}, {"Cache_Control": "private, max-age=60"}],
    ids=["no-store", "private"],
)
def test_a_page_with_personal_data_is_not_compressed(headers):
    response, body = fetch(make_app(**headers), Accept_Encoding="gzip")
    assert "Content-Encoding" not in response.headers
    assert body == PAGE


def test_a_page_asked_for_with_a_session_cookie_is_not_compressed():
    """It may hold the reader's CSRF token next to text from the URL: BREACH."""
    cookie = "session=eyJjc3JmX3Rva2VuIjoiYWJjIn0; lang=fa"
    response, body = fetch(make_app(), Accept_Encoding="gzip", Cookie=cookie)
    assert "Content-Encoding" not in response.headers
    assert body == PAGE


def test_the_language_cookie_alone_still_gets_compression():
    response, body = fetch(make_app(), Accept_Encoding="gzip", Cookie="lang=ur")
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == PAGE


def test_static_files_are_compressed_whatever_the_cookies():
    css = b"body { margin: 0; }\n" * 100
    response, body = fetch(
        make_app(css, content_type="text/css; charset=utf-8"),
        "/static/css/app.css",
        Accept_Encoding="gzip",
        Cookie="session=secret",
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == css


@pytest.mark.parametrize(
    "body, content_type",
    [(b"<p>short</p>", "text/html"), (PAGE, "image/png"), (PAGE, "font/woff2")],
    ids=["small", "png", "woff2"],
)
def test_small_answers_and_binary_types_are_sent_as_they_are(body, content_type):
    response, sent = fetch(make_app(body, content_type=content_type), Accept_Encoding="gzip")
    assert len(b"<p>short</p>") < MIN_SIZE
    assert "Content-Encoding" not in response.headers
    assert sent == body


def test_a_head_request_is_not_compressed():
    response = Client(Compress(make_app())).head("/c/x", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize(
    "accept, brotli_available, chosen",
    [
        ("gzip, deflate, br", True, "br"),
        ("gzip, deflate, br", False, "gzip"),
        ("gzip;q=1, br;q=0.5", True, "gzip"),
        ("br;q=0, gzip", True, "gzip"),
        ("*", True, "br"),
        ("*;q=0", True, None),
        ("deflate", True, None),
    ],
)
def test_the_coding_follows_the_clients_preferences(accept, brotli_available, chosen):
    assert choose_coding(accept, brotli_available) == chosen


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn from gunicorn.conf.py (as `make serve`) with campaign "load" and one event."""
    folder = tmp_path_factory.mktemp("compression")
    instance = folder / "instance"
    prepare_instance(instance)
    database = f"sqlite:///{folder / 'serve.sqlite3'}"
    ref = create_event(database, instance)
    server = Server(database, instance, workers=1).start()
    try:
        yield server, ref
    finally:
        server.stop()


def get(server: Server, path: str, **headers):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(
            "GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path", ["/c/load", "/e/{ref}", "/static/css/app.css", "/static/js/app.js"]
)
def test_make_serve_gzips_pages_and_styles(served, path):
    server, ref = served
    status, headers, body = get(server, path.format(ref=ref), Accept_Encoding="gzip")
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(body)
    assert len(body) < len(text) / 2
    assert b"<html" in text or b"body" in text


def test_make_serve_sends_the_feed_gzipped_once(served):
    server, _ref = served
    status, headers, body = get(server, "/c/load/calendar.ics", Accept_Encoding="gzip")
    assert status == 200
    assert headers.get_all("Content-Encoding") == ["gzip"]
    assert gzip.decompress(body).startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    "path, cookie",
    [("/e/{ref}/join", ""), ("/c/load", "session=anything")],
    ids=["private-page", "session-cookie"],
)
def test_make_serve_sends_pages_that_may_hold_a_secret_uncompressed(served, path, cookie):
    """The join form is no-store (it holds a CSRF token and echoes what was typed)."""
    server, ref = served
    headers = {"Cookie": cookie} if cookie else {}
    status, headers, body = get(server, path.format(ref=ref), Accept_Encoding="gzip", **headers)
    assert status == 200
    assert "Content-Encoding" not in headers
    assert b"<html" in body
