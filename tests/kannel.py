"""A real Kannel for tests: bearerbox, smsbox and Debian's test SMSC (kannel-extras'
``fakesmsc``) playing the phones, all on free ports with their files in a temporary folder.

Two fake SMSC connections:

- ``phones``: one fakesmsc that runs all along and sends nothing; every SMS the app sends
  (``sendsms``) arrives there. ``received()`` / ``wait_for()`` read them from its output.
- ``inject``: a phone sending an SMS to the app. fakesmsc sends only the messages given on
  its command line, so each one is a short-lived fakesmsc (``-m 1``) on this connection;
  the reply Kannel makes from the app's answer goes back on the connection the SMS came
  in on, to that same process, which is then stopped. This connection takes no other
  traffic (``allowed-smsc-id``), and the ``phones`` one none of it (``denied-smsc-id``).

The ``sms-service`` calls ``get_url`` (an app the test serves, see ``AppServer``) for every
SMS in, and sends the answer's body back as the reply, none when it is empty.
"""

import contextlib
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.helpers import free_port

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
#: The number phones send to and the app's SMS come from.
SHORT_CODE = "12345"

_GOT = re.compile(r"Got message \d+: <(.*)>\s*$")


def require_kannel() -> None:
    """Skip when Kannel is not installed (Debian packages kannel and kannel-extras; .ci/run
    installs them); under CI a missing Kannel fails instead."""
    if os.access(BEARERBOX, os.X_OK):
        return
    message = f"{BEARERBOX} not installed (Debian packages kannel and kannel-extras)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class Sms:
    """One SMS as a phone got it: concatenated parts joined, decoded."""

    sender: str
    receiver: str
    text: str


def _bytes(urlencoded: str) -> bytes:
    return urllib.parse.unquote_to_bytes(urlencoded.replace("+", " "))


def _text(data: bytes) -> str:
    """fakesmsc prints binary and UDH payloads url-encoded without their coding: UCS-2 has
    NUL or control bytes (every ASCII or Arabic-script character has one), GSM text not."""
    if len(data) % 2 == 0 and any(b < 0x20 and b not in (0x0A, 0x0D) for b in data):
        return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def parse_fakesmsc(output: str) -> list[Sms]:
    """The SMS in fakesmsc's output ("Got message N: <from to type payload>"), in order,
    each concatenated message once all of its parts are in."""
    messages: list[Sms] = []
    parts: dict[tuple, dict[int, bytes]] = {}
    for line in output.splitlines():
        match = _GOT.search(line)
        if not match:
            continue
        sender, receiver, kind, payload = [*match.group(1).split(" ", 3), "", ""][:4]
        if kind == "text":
            messages.append(Sms(sender, receiver, payload))
        elif kind == "ucs-2":
            messages.append(Sms(sender, receiver, _bytes(payload).decode("utf-16-be")))
        elif kind == "data":
            messages.append(Sms(sender, receiver, _text(_bytes(payload))))
        elif kind == "udh":
            udh_text, _type, data = [*payload.split(" ", 2), "", ""][:3]
            udh = _bytes(udh_text)
            if len(udh) >= 6 and udh[1] == 0x00:  # concatenation, 8-bit reference
                reference, total, number = udh[3], udh[4], udh[5]
            elif len(udh) >= 7 and udh[1] == 0x08:  # 16-bit reference
                reference, total, number = udh[3] * 256 + udh[4], udh[5], udh[6]
            else:
                messages.append(Sms(sender, receiver, _text(_bytes(data))))
                continue
            key = (sender, receiver, reference, total)
            parts.setdefault(key, {})[number] = _bytes(data)
            if len(parts[key]) == total:
                chunks = parts.pop(key)
                whole = b"".join(chunks[n] for n in range(1, total + 1))
                messages.append(Sms(sender, receiver, _text(whole)))
    return messages


class _OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: Kannel keeps no connection open to a server a later test replaces on the
    same port (a kept-alive one would still be served by the old app)."""

    protocol_version = "HTTP/1.0"


class AppServer:
    """A Flask app served by werkzeug in a thread on ``port`` (Kannel's get-url calls it):
    requests see the test's own database."""

    def __init__(self, app, port: int):
        self.server = make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=_OneRequestPerConnection
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "AppServer":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@dataclass
class Kannel:
    """bearerbox + the phones' fakesmsc + smsbox, started by ``start()`` in ``folder``."""

    folder: Path
    #: The app's inbound URL for the sms-service (Kannel's escapes: %p sender, %P receiver,
    #: %a text, %C its charset, %c its coding).
    get_url: str
    username: str = "app"
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    admin_password: str = field(default_factory=lambda: secrets.token_hex(8))
    admin_port: int = field(default_factory=free_port)
    smsbox_port: int = field(default_factory=free_port)
    sendsms_port: int = field(default_factory=free_port)
    phones_port: int = field(default_factory=free_port)
    inject_port: int = field(default_factory=free_port)
    #: Where the ``kannel`` fixture serves the app, and the secret get_url carries.
    app_port: int = 0
    inbound_secret: str = ""
    processes: dict = field(default_factory=dict)

    def __post_init__(self):
        self._inject_lock = threading.Lock()

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def transport_config(self, **overrides) -> dict:
        """The app's SMS_* settings for this gateway."""
        return {
            "SMS_GATEWAY_URL": self.sendsms_url,
            "SMS_GATEWAY_USERNAME": self.username,
            "SMS_GATEWAY_PASSWORD": self.password,
            "SMS_SENDER": SHORT_CODE,
            **overrides,
        }

    # --- starting and stopping ---------------------------------------------------------

    def config(self) -> str:
        logs = self.folder
        return f"""
group = core
admin-port = {self.admin_port}
admin-password = "{self.admin_password}"
status-password = "{self.admin_password}"
admin-interface = 127.0.0.1
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{logs / "bearerbox.log"}"
log-level = 1
access-log = "{logs / "access.log"}"

group = smsc
smsc = fake
smsc-id = phones
port = {self.phones_port}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1
denied-smsc-id = inject

group = smsc
smsc = fake
smsc-id = inject
port = {self.inject_port}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1
allowed-smsc-id = inject

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
mo-recode = true
log-file = "{logs / "smsbox.log"}"
log-level = 1

group = sendsms-user
username = "{self.username}"
password = "{self.password}"
max-messages = 5
concatenation = true

group = sms-service
keyword = default
get-url = "{self.get_url}"
max-messages = 3
concatenation = true
omit-empty = true
accept-x-kannel-headers = true
"""

    def start(self, timeout: float = 20) -> "Kannel":
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "kannel.conf"
        conf.write_text(self.config())
        deadline = time.monotonic() + timeout
        try:
            self._spawn("bearerbox", [BEARERBOX, str(conf)])
            self._until(deadline, lambda: "Status: running" in self.status(), "bearerbox")
            self._spawn(
                "phones",
                [
                    FAKESMSC,
                    "-H",
                    "127.0.0.1",
                    "-r",
                    str(self.phones_port),
                    "-m",
                    "0",
                    f"{SHORT_CODE} {SHORT_CODE} text unused",
                ],
            )
            self._until(deadline, lambda: self._online("phones"), "the phones' fakesmsc")
            self._spawn("smsbox", [SMSBOX, str(conf)])
            self._until(deadline, self._smsbox_ready, "smsbox")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Every process group started here, killed and reaped: nothing is left behind."""
        for name in reversed(list(self.processes)):
            _kill(self.processes.pop(name))

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.folder / f"{name}.out", "ab") as output:
            process = subprocess.Popen(
                command,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        self.processes[name] = process
        return process

    def _until(self, deadline: float, ready, what: str) -> None:
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited: {self.output(name)[-2000:]}")
            if ready():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{what} not ready in time:\n{self.status()}")

    def status(self) -> str:
        query = urllib.parse.urlencode({"password": self.admin_password})
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?{query}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode(errors="replace")
        except (OSError, urllib.error.URLError):
            return ""

    def _online(self, smsc_id: str) -> bool:
        return bool(re.search(rf"{smsc_id}\[{smsc_id}\]\s+FAKE:\d+ \(online", self.status()))

    def _smsbox_ready(self) -> bool:
        if "smsbox:" not in self.status():
            return False
        try:
            with urllib.request.urlopen(self.sendsms_url, timeout=2):  # noqa: S310 (http)
                return True
        except urllib.error.HTTPError:  # "Authorization failed": it answers
            return True
        except (OSError, urllib.error.URLError):
            return False

    def output(self, name: str) -> str:
        path = self.folder / f"{name}.out"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- the phones ------------------------------------------------------------------------

    def received(self) -> list[Sms]:
        """Every SMS the phones got so far (what the app sent through sendsms)."""
        return parse_fakesmsc(self.output("phones"))

    def wait_for(self, count: int, timeout: float = 10) -> list[Sms]:
        """The phones' SMS once there are at least ``count`` (all so far)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.received()
            if len(messages) >= count:
                return messages
            time.sleep(0.05)
        raise AssertionError(f"{count} SMS expected, got {self.received()}")

    def phone_sends(
        self, sender: str, text: str, *, to: str = SHORT_CODE, replies: int = 1, timeout=10
    ) -> list[Sms]:
        """``sender`` texts ``text`` to ``to``; returns the reply SMS it got back: once
        ``replies`` have arrived, or after ``timeout`` seconds (``replies=0``: waits the
        whole timeout, to show that none came)."""
        if text.isascii() and text.isprintable():
            line = f"{sender} {to} text {text}"
        else:  # as a phone sends Persian or Urdu: UCS-2
            line = f"{sender} {to} ucs2 {urllib.parse.quote(text.encode('utf-16-be'))}"
        with self._inject_lock:
            name = f"phone-{secrets.token_hex(4)}"
            self._spawn(
                name,
                [
                    FAKESMSC,
                    "-H",
                    "127.0.0.1",
                    "-r",
                    str(self.inject_port),
                    "-i",
                    "0",
                    "-m",
                    "1",
                    line,
                ],
            )
            deadline = time.monotonic() + timeout
            try:
                while time.monotonic() < deadline:
                    got = parse_fakesmsc(self.output(name))
                    if replies and len(got) >= replies:
                        return got
                    if self.processes[name].poll() is not None:
                        raise RuntimeError(f"fakesmsc exited: {self.output(name)[-2000:]}")
                    time.sleep(0.05)
                return parse_fakesmsc(self.output(name))
            finally:
                _kill(self.processes.pop(name))
                # bearerbox notices the closed connection before the next phone connects.
                self._until(time.monotonic() + 5, lambda: not self._online("inject"), "inject")


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def kannel_gateway(tmp_path_factory):
    """A Kannel for this module whose sms-service calls ``/sms/inbound`` on the port
    ``kannel_gateway.app_port``, where the ``kannel`` fixture serves the test's app."""
    require_kannel()
    app_port = free_port()
    secret = secrets.token_hex(16)
    query = f"from=%p&to=%P&text=%a&charset=%C&coding=%c&secret={secret}"
    gateway = Kannel(
        tmp_path_factory.mktemp("kannel"),
        get_url=f"http://127.0.0.1:{app_port}/sms/inbound?{query}",
        app_port=app_port,
        inbound_secret=secret,
    )
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def kannel(kannel_gateway, app):
    """The module's Kannel with the test's app served where its sms-service calls, the
    inbound secret set; the app's SMS settings point at the gateway."""
    app.config.update(
        kannel_gateway.transport_config(SMS_INBOUND_SECRET=kannel_gateway.inbound_secret)
    )
    with AppServer(app, kannel_gateway.app_port):
        yield kannel_gateway
