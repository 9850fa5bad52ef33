"""A gunicorn worker that runs waitress: requests reach the app only once they have arrived.

gunicorn's sync worker reads each request itself, so three clients sending a byte a second
held three workers, and with them every page, until the timeout. Here each worker process
runs waitress, whose event loop reads every connection as its bytes come (a slow client
costs a buffer, not a thread) and passes a request to one of ``threads`` app threads only
when its headers and body are complete; answers are written out by the same loop, so a slow
reader holds no thread either. gunicorn stays the supervisor: it binds, forks, replaces a
dead or silent worker, recycles workers (``max_requests``) and writes the access log.

On top of waitress this worker:

- drops a connection whose request is still arriving ``timeout`` seconds after its first
  byte, and one left idle ``keepalive`` seconds;
- replaces itself, after the other requests finish, when a request has run longer than
  ``timeout`` (a stuck thread would otherwise be lost for good);
- removes ``X-Forwarded-*`` and ``Forwarded`` unless the app trusts a proxy
  (``PROXY_FIX_HOPS`` > 0) and the connection comes from ``forwarded_allow_ips``;
- refuses to start several processes whose rate limits would each count alone;
- compresses text answers that hold no secret (gzip, brotli where installed:
  campaign_serving/compress.py).
"""

import ipaddress
import logging
import os
import resource
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from campaign_serving.compress import Compress

#: Without MAX_CONTENT_LENGTH in the app's config (the benchmarks' bare apps), bodies are
#: refused above this; waitress buffers a body whole before the app sees it.
BODY_LIMIT = 1024 * 1024
#: All of a request's headers together. Browsers send a few kilobytes.
HEADER_LIMIT = 64 * 1024
#: Seconds between looks at every connection (idle, too slow, stuck).
TIDY_EVERY = 0.5


class ConfigurationError(RuntimeError):
    """The app's configuration cannot be served this way; the message says what to set."""


def per_process_limits(app, workers: int) -> str | None:
    """Why ``app``'s rate limits would be wrong in ``workers`` processes, or None."""
    config = getattr(app, "config", None)
    if workers <= 1 or config is None or "limiter" not in getattr(app, "extensions", {}):
        return None
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not config.get("RATELIMIT_ENABLED", True) or not storage.startswith("memory://"):
        return None
    return (
        f"RATELIMIT_STORAGE_URI is {storage}, which counts in each process: with {workers} "
        f"workers every rate limit would allow {workers} times its configured number. Point "
        "RATELIMIT_STORAGE_URI at Redis (redis://host:6379/0), shared by every worker, or "
        "serve with one worker (GUNICORN_WORKERS=1, the default)."
    )


def connection_limit(wanted: int) -> int:
    """How many connections this process may keep open: ``wanted``, with the open-files
    limit raised to fit where the hard limit allows (a descriptor per connection, and one
    more for a body spooled to a file), else as many as fit. Past the limit, accept()
    would fail at once and the loop would spin on the waiting connection."""
    needed = 2 * wanted + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (soft - 64) // 2))


class ForwardedHeaders:
    """Which connections may say what the client's address, scheme and host were."""

    def __init__(self, hops: int, allowed: list[str]):
        self.hops = hops
        self.anyone = "*" in allowed
        self.networks = [ipaddress.ip_network(a, strict=False) for a in allowed if a != "*"]

    def trusted(self, peer: str) -> bool:
        if not self.hops:
            return False  # no proxy in front: anyone could have written them
        if self.anyone:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return peer == "localhost"  # waitress's name for a Unix socket's peer
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def clean(self, environ: dict) -> None:
        if self.trusted(environ.get("REMOTE_ADDR", "")):
            return
        for key in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            del environ[key]
        environ.pop("HTTP_FORWARDED", None)


class _Answer:
    """The app's answer, counted as waitress sends it; ``close`` reports when it is done."""

    def __init__(self, body, done):
        self.body = body
        self.done = done
        self.sent = 0

    def __iter__(self):
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.done(self.sent)


class BufferedWorker(Worker):
    """gunicorn's process management around waitress's buffering event loop."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.running: dict[int, float] = {}  # request number → when the app got it
        self.arriving: dict[int, tuple[object, float]] = {}  # channel → (request, first seen)
        self.map: dict = {}
        self.server = None
        #: gunicorn hands workers half its timeout (to notify in time); requests get it whole.
        self.request_timeout = self.cfg.timeout or float("inf")

    # --- the app ---------------------------------------------------------------------

    def load_wsgi(self):
        super().load_wsgi()
        problem = per_process_limits(self.wsgi, self.cfg.workers)
        if problem:
            raise ConfigurationError(problem)  # gunicorn logs it and stops: "failed to boot"
        config = getattr(self.wsgi, "config", {})
        self.forwarded = ForwardedHeaders(
            int(config.get("PROXY_FIX_HOPS") or 0), list(self.cfg.forwarded_allow_ips)
        )
        self.body_limit = int(config.get("MAX_CONTENT_LENGTH") or BODY_LIMIT)
        self.wsgi = Compress(self.wsgi)

    def application(self, environ, start_response):
        started = time.time()
        self.forwarded.clean(environ)
        with self.lock:
            self.nr += 1
            number = self.nr
            self.running[number] = started
        answer = {}

        def remember(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        def done(sent: int):
            with self.lock:
                self.running.pop(number, None)
            response = SimpleNamespace(
                status=answer.get("status", "500"), sent=sent, headers=answer.get("headers", [])
            )
            environ.setdefault("RAW_URI", environ.get("REQUEST_URI", ""))
            took = timedelta(seconds=time.time() - started)
            self.log.access(response, SimpleNamespace(headers=[]), environ, took)

        try:
            return _Answer(self.wsgi(environ, remember), done)
        except BaseException:
            done(0)
            raise

    # --- the loop --------------------------------------------------------------------

    def run(self):
        self._route_waitress_logs()
        self.server = create_server(
            self.application,
            map=self.map,
            sockets=[listener.sock for listener in self.sockets],
            threads=self.cfg.threads,
            connection_limit=connection_limit(self.cfg.worker_connections),
            max_request_body_size=self.body_limit,
            max_request_header_size=HEADER_LIMIT,
            clear_untrusted_proxy_headers=False,  # ForwardedHeaders decides, before the app
            ident="",  # no Server header
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
        )
        next_tidy = 0.0
        while self.alive:
            self.notify()
            wasyncore.loop(timeout=1.0, map=self.map, use_poll=True, count=1)
            now = time.time()
            if now < next_tidy:
                continue
            next_tidy = now + TIDY_EVERY
            self._tidy(now)
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            if self.nr >= self.max_requests:
                self.log.info("Autorestarting worker after current request.")
                break
            stuck = self._stuck(now)
            if stuck:
                self.log.error(
                    "A request has run %.0f s, over the %s s timeout: replacing this worker",
                    stuck,
                    self.cfg.timeout,
                )
                break
        self._stop()

    def _channels(self) -> list[HTTPChannel]:
        return [d for d in list(self.map.values()) if isinstance(d, HTTPChannel)]

    def _tidy(self, now: float) -> None:
        """Drop connections idle past ``keepalive``, or still sending one request past
        ``timeout``: a slow client may wait for its turn, not hold a place for ever."""
        arriving = {}
        for channel in self._channels():
            if channel.requests or channel.total_outbufs_len or channel.will_close:
                continue  # being answered
            request = channel.request
            if request is None:
                if now - channel.last_activity > self.cfg.keepalive:
                    channel.will_close = True
                continue
            seen = self.arriving.get(id(channel))
            first = seen[1] if seen and seen[0] is request else now
            if now - first > self.request_timeout:
                channel.will_close = True
            else:
                arriving[id(channel)] = (request, first)
        self.arriving = arriving

    def _stuck(self, now: float) -> float:
        """How long the oldest request has run, when that is over ``timeout``; else 0."""
        with self.lock:
            oldest = min(self.running.values(), default=now)
        return now - oldest if now - oldest > self.request_timeout else 0.0

    def _busy(self, now: float) -> bool:
        with self.lock:
            running = any(now - t <= self.request_timeout for t in self.running.values())
        waiting = bool(self.server.task_dispatcher.queue)
        return running or waiting or any(c.total_outbufs_len for c in self._channels())

    def _stop(self) -> None:
        """Stop accepting (the listening socket stays open in the master, for the next
        worker), let what is running finish and be sent, within ``graceful_timeout``."""
        self.alive = False
        for dispatcher in list(self.map.values()):
            if isinstance(dispatcher, BaseWSGIServer):
                dispatcher.accepting = False
        deadline = time.time() + self.cfg.graceful_timeout
        while time.time() < deadline and self._busy(time.time()):
            self.notify()
            wasyncore.loop(timeout=0.1, map=self.map, use_poll=True, count=1)
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(self.map)

    def _route_waitress_logs(self) -> None:
        """waitress's warnings into gunicorn's error log, through the same filters (the app
        adds its redaction of member tokens there); not a line per queued request."""
        waitress = logging.getLogger("waitress")
        waitress.handlers = list(self.log.error_log.handlers)
        waitress.filters = list(self.log.error_log.filters)
        waitress.setLevel(self.log.error_log.level)
        waitress.propagate = False
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
