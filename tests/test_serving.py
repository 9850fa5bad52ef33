"""`make serve` as deployed: gunicorn from gunicorn.conf.py, started here on 127.0.0.1 only.

Slow clients cannot starve the others, the rate limits are the configured numbers (one
process counting in memory, or several sharing Redis; several counting alone refuse to
start), and forwarded headers count only when the configuration trusts a proxy."""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.load import ROOT, create_event
from campaign.config import defaults
from campaign_serving.worker import ForwardedHeaders, per_process_limits
from tests.helpers import free_port
from tests.served import Server

# Servers timed against slow clients and timeouts: one at a time, in one xdist worker.
pytestmark = pytest.mark.xdist_group("timing")

#: Join-code lookups per minute from one address, as configured (and documented).
JOIN_CODES_PER_MINUTE = int(defaults("instance")["RATELIMIT_JOIN_CODES"].split()[0])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated SQLite database with one published event; limits as configured."""
    folder = tmp_path_factory.mktemp("serve")
    instance = folder / "instance"
    instance.mkdir()
    database = f"sqlite:///{folder / 'serve.sqlite3'}"
    ref = create_event(database, instance)
    return database, instance, ref


def get(port: int, path: str, headers: dict | None = None, timeout: float = 10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_make_serve_is_gunicorn_with_this_configuration():
    """The servers below run what `make serve` runs, so they test the real set-up."""
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert plan.strip().splitlines()[-1] == ".venv/bin/gunicorn -c gunicorn.conf.py"


# --- slow clients ----------------------------------------------------------------------


class SlowClient(threading.Thread):
    """Sends a request one byte a second: its headers, or (``body=True``) its headers at
    once and then a form body. Records how many bytes went out and whether the server
    hung up on it."""

    def __init__(self, port: int, *, body: bool, until: float):
        super().__init__(daemon=True)
        self.until = until
        self.sent = 0
        self.hung_up = False
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=5)
        if body:
            self.socket.sendall(
                b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000\r\n\r\n"
            )
            self.trickle = b"email=" + b"a" * 994
        else:
            self.trickle = b"GET /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 900

    def run(self):
        try:
            for byte in self.trickle:
                if time.monotonic() > self.until:
                    break
                self.socket.sendall(bytes([byte]))
                self.sent += 1
                time.sleep(1)
            self.socket.setblocking(False)
            # Still open with nothing said (BlockingIOError): the server awaits the rest.
            with contextlib.suppress(BlockingIOError):
                self.hung_up = self.socket.recv(1) == b""
        except OSError:
            self.hung_up = True
        finally:
            self.socket.close()


def test_twenty_slow_clients_do_not_starve_other_visitors(site):
    database, instance, _ = site
    server = Server(database, instance, workers=None).start()  # make serve's own settings
    try:
        for _ in range(3):  # warm: templates compiled, connections in the pool
            assert get(server.port, "/auth/login")[0] == 200
        until = time.monotonic() + 9
        slow = [SlowClient(server.port, body=n % 2 == 1, until=until) for n in range(20)]
        for client in slow:
            client.start()
        time.sleep(1.5)  # every slow client has begun its request
        answers = []
        for _ in range(12):
            started = time.monotonic()
            try:
                status = get(server.port, "/auth/login", timeout=5)[0]
            except OSError:
                status = None
            answers.append((status, time.monotonic() - started))
            time.sleep(0.4)
        for client in slow:
            client.join(timeout=15)
    finally:
        server.stop()
    assert [status for status, _ in answers] == [200] * 12
    assert max(seconds for _, seconds in answers) < 1.0, answers
    # The slow clients really were holding their connections open the whole time.
    assert all(client.sent >= 7 and not client.hung_up for client in slow)


def test_a_request_still_arriving_after_the_timeout_is_dropped(site):
    database, instance, _ = site
    server = Server(database, instance, workers=None, environment={"GUNICORN_TIMEOUT": "3"}).start()
    try:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        started = time.monotonic()
        dropped_after = None
        try:
            for byte in b"GET /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40:
                connection.sendall(bytes([byte]))
                time.sleep(0.25)
        except OSError:
            dropped_after = time.monotonic() - started
        else:
            connection.settimeout(5)
            try:
                if connection.recv(1) == b"":
                    dropped_after = time.monotonic() - started
            except OSError:
                dropped_after = time.monotonic() - started
        connection.close()
        assert get(server.port, "/auth/login")[0] == 200  # and the server is fine
    finally:
        server.stop()
    assert dropped_after is not None and 3 <= dropped_after < 8


# --- rate limits -------------------------------------------------------------------------


def lookups(port: int, count: int) -> list[int]:
    """``count`` join-code lookups from 127.0.0.1, each on its own connection."""
    return [get(port, f"/j?code=NOPE{n:04d}")[0] for n in range(count)]


def assert_the_configured_join_code_limit(server: Server) -> None:
    """15 lookups over the limit from one address: the allowed ones pass, those are 429."""
    server.start()
    try:
        statuses = lookups(server.port, JOIN_CODES_PER_MINUTE + 15)
    finally:
        server.stop()
    assert 429 not in statuses[:JOIN_CODES_PER_MINUTE]
    assert statuses[JOIN_CODES_PER_MINUTE:] == [429] * 15


def test_the_default_set_up_enforces_the_configured_join_code_limit(site):
    database, instance, _ = site
    # make serve's own settings
    assert_the_configured_join_code_limit(Server(database, instance, workers=None))


def test_several_workers_counting_alone_refuse_to_start(site, tmp_path):
    database, instance, _ = site
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CAMPAIGN_INSTANCE_PATH": str(instance),
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "GUNICORN_WORKERS": "3",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail("gunicorn served three workers that each count rate limits alone")
    assert code != 0
    assert "RATELIMIT_STORAGE_URI" in errors.read_text()


@pytest.fixture
def redis_url(tmp_path):
    """A throw-away redis-server on 127.0.0.1 (Debian's redis-server package)."""
    program = shutil.which("redis-server")
    if program is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but no redis-server: the shared rate limits cannot be skipped")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            program,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_several_workers_sharing_redis_enforce_the_configured_limit(site, redis_url):
    database, instance, _ = site
    environment = {"RATELIMIT_STORAGE_URI": redis_url}
    assert_the_configured_join_code_limit(
        Server(database, instance, workers=3, environment=environment)
    )


# --- forwarded headers -------------------------------------------------------------------


def as_if_over_https(port: int, ref: str) -> tuple[dict, bytes]:
    """A login page (headers) and an event's calendar file (links), asked from 127.0.0.1
    with X-Forwarded-Proto: https."""
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hazara.example"}
    status, headers, _ = get(port, "/auth/login", forwarded)
    assert status == 200
    status, _, calendar = get(port, f"/e/{ref}/calendar.ics", forwarded)
    assert status == 200
    return headers, calendar


@pytest.mark.parametrize(
    "environment",
    [
        {},  # PROXY_FIX_HOPS unset: no proxy
        {"PROXY_FIX_HOPS": "0"},
        # A proxy, but somewhere else: this connection is not from it.
        {"PROXY_FIX_HOPS": "1", "GUNICORN_FORWARDED_ALLOW_IPS": "192.0.2.1"},
    ],
)
def test_forwarded_headers_are_ignored_unless_from_a_trusted_proxy(site, environment):
    database, instance, ref = site
    server = Server(database, instance, workers=None, environment=environment).start()
    try:
        headers, calendar = as_if_over_https(server.port, ref)
    finally:
        server.stop()
    assert "Strict-Transport-Security" not in headers
    assert all("secure" not in cookie.lower() for cookie in headers.get_all("Set-Cookie"))
    assert b"https://" not in calendar
    assert b"hazara.example" not in calendar
    assert f"http://127.0.0.1:{server.port}/e/{ref}".encode() in calendar


def test_forwarded_headers_count_from_the_configured_proxy(site):
    database, instance, ref = site
    server = Server(
        database, instance, workers=None, environment={"PROXY_FIX_HOPS": "1"}
    ).start()  # the proxy on this machine, gunicorn.conf.py's default
    try:
        headers, calendar = as_if_over_https(server.port, ref)
    finally:
        server.stop()
    assert "Strict-Transport-Security" in headers
    assert f"https://hazara.example/e/{ref}".encode() in calendar


def test_forwarded_headers_are_removed_unless_a_listed_proxy_sent_them():
    proxies = ForwardedHeaders(1, ["127.0.0.1", "10.1.0.0/16"])
    assert proxies.trusted("127.0.0.1") and proxies.trusted("::ffff:127.0.0.1")
    assert proxies.trusted("10.1.2.3")
    assert not proxies.trusted("10.2.0.1") and not proxies.trusted("::1")
    assert not ForwardedHeaders(0, ["*"]).trusted("127.0.0.1")  # no proxy configured
    environ = {
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_HOST": "hazara.example",
        "HTTP_X_FORWARDED_FOR": "198.51.100.7",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "elsewhere.example",
        "HTTP_FORWARDED": "for=198.51.100.7;proto=https",
    }
    proxies.clean(environ)
    assert environ == {"REMOTE_ADDR": "203.0.113.9", "HTTP_HOST": "hazara.example"}


def test_only_limits_counted_in_memory_by_several_processes_are_refused():
    def app(**config):
        return SimpleNamespace(config=config, extensions={"limiter": set()})

    memory = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}
    assert "RATELIMIT_STORAGE_URI" in per_process_limits(app(**memory), 2)
    assert per_process_limits(app(**memory), 1) is None
    assert per_process_limits(app(**{**memory, "RATELIMIT_ENABLED": False}), 4) is None
    redis = {**memory, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    assert per_process_limits(app(**redis), 4) is None
    assert per_process_limits(SimpleNamespace(config={}, extensions={}), 4) is None  # no limits


def test_connections_are_capped_to_the_open_files_the_process_may_have():
    script = """
import resource
from campaign_serving.worker import connection_limit
resource.setrlimit(resource.RLIMIT_NOFILE, (512, 600))
print(connection_limit(1000), resource.getrlimit(resource.RLIMIT_NOFILE)[0], connection_limit(100))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # Raised to the hard limit, and only as many connections as then fit; 100 fit at once.
    assert result.stdout.split() == ["268", "600", "100"]


def test_waitress_logs_go_through_the_error_logs_filters(site, tmp_path):
    """waitress names the path when it logs a failure: a member's token must not reach the
    log through it (the app's redaction filter sits on gunicorn's error logger)."""
    database, instance, _ = site
    script = f"""
import logging, os
os.environ.update(DATABASE_URL={database!r}, CAMPAIGN_INSTANCE_PATH={str(instance)!r})
from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.glogging import Logger
from campaign_serving.worker import BufferedWorker
app = WSGIApplication()
app.cfg.set("errorlog", {str(tmp_path / "error.log")!r})
worker = BufferedWorker(0, os.getpid(), [], app, 30, app.cfg, Logger(app.cfg))
app.app_uri = "campaign:create_app()"
worker.load_wsgi()
worker._route_waitress_logs()
logging.getLogger("waitress").error("Exception while serving /me/" + "T" * 32)
"""
    subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    logged = (tmp_path / "error.log").read_text()
    assert "Exception while serving /me/[redacted]" in logged
    assert "T" * 32 not in logged
