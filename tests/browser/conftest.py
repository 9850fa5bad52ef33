"""Browser fixtures: the app served on a loopback port, and Debian's Chromium through Playwright.

``live_server`` builds on the ``app`` fixture; the browser test modules run on SQLite only
(``pytestmark = SQLITE_ONLY``): the database is tested by the rest of the suite. The server
thread makes its own app and request contexts for each request; the test's own app context
(pushed by ``app``) stays for factories and queries.
Call ``db.session.rollback()`` before reading what the browser changed: it ends the test's
transaction so the next query sees the latest data (SQLite keeps a snapshot per transaction).
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.helpers import DESKTOP, PHONE  # noqa: F401  (their old home)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def live_server(app):
    """The app served by a real HTTP server in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session; each test opens its own context."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing: browser tests cannot be skipped")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def open_page(browser, live_server):
    """Opens a page in a new browser context on the live server: ``open_page(**options)``.

    Options go to ``browser.new_context`` (viewport, time zone, locale …); contexts are
    closed after the test, before the server stops.
    """
    contexts = []
    refused = []

    def open_(**options):
        context = browser.new_context(base_url=live_server, **options)
        context.set_default_timeout(10_000)
        # Anything the Content-Security-Policy blocks is a bug in our pages: fail on it.
        context.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()
    assert refused == [], refused
