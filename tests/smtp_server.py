"""A real SMTP server for tests: aiosmtpd on a free loopback port, in its own thread.

It keeps every message it accepts (envelope and parsed email) and can refuse recipients
(``refuse("550 ...")`` or a temporary ``"451 ..."``), to see what the app does with each
answer. ``smtp_tls_server`` wants STARTTLS and a login, with a self-signed certificate
made in a temporary directory; trust it with ``trust_certificate``. A pytest plugin
(``pytest_plugins`` in tests/conftest.py): the fixtures are available everywhere.
"""

import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.helpers import free_port

SENDER = "Campaign <noreply@campaign.test>"
USERNAME = "campaign"
PASSWORD = "s3cret-Pa55word"  # the tests check it never shows in an error


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    #: The message as the server got it, parsed with the modern email policy.
    message: EmailMessage
    raw: bytes


class SmtpServer:
    """``start()``, then point a transport at ``config()``; ``received`` and ``wait_for``
    show what arrived; ``stop()``."""

    def __init__(
        self,
        *,
        starttls_context=None,
        ssl_context=None,
        users: dict[str, str] | None = None,
    ):
        self.host = "127.0.0.1"
        self.port = free_port()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._received: list[Received] = []
        self._refusals: dict[str | None, str] = {}
        self.logins: list[str] = []
        self.users = users
        options: dict = {}
        if starttls_context is not None:
            options.update(tls_context=starttls_context, require_starttls=True)
        if users is not None:
            options.update(authenticator=self._authenticate, auth_required=True)
            # aiosmtpd only knows of STARTTLS; with implicit TLS every session is secure.
            options["auth_require_tls"] = starttls_context is not None
        self.controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            ssl_context=ssl_context,
            server_hostname="smtp.campaign.test",
            **options,
        )

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def config(self, **overrides) -> dict:
        """The MAIL_* settings that send to this server."""
        return {
            "MAIL_SERVER": self.host,
            "MAIL_PORT": self.port,
            "MAIL_DEFAULT_SENDER": SENDER,
            "MAIL_TIMEOUT": 5,
            **overrides,
        }

    def refuse(self, reply: str, address: str | None = None) -> None:
        """Answer RCPT TO for ``address`` (default: everyone) with ``reply``, e.g.
        ``"550 5.1.1 No such user"`` or ``"451 4.7.1 Try again later"``."""
        with self._lock:
            self._refusals[address] = reply

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def wait_for(
        self, predicate: Callable[[Received], bool] = lambda _: True, timeout: float = 10
    ) -> Received:
        """The first received message for which ``predicate`` holds, waiting up to
        ``timeout`` seconds for it to arrive."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for received in self._received:
                    if predicate(received):
                        return received
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no matching message within {timeout} s; "
                        f"received: {[r.message['Subject'] for r in self._received]}"
                    )
                self._arrived.wait(left)

    # --- called from the server's thread -------------------------------------------------

    def _refusal(self, address: str) -> str | None:
        with self._lock:
            return self._refusals.get(address) or self._refusals.get(None)

    def _store(self, received: Received) -> None:
        with self._arrived:
            self._received.append(received)
            self._arrived.notify_all()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        with self._lock:
            self.logins.append(login)
        ok = (self.users or {}).get(login) == auth_data.password.decode()
        return AuthResult(success=ok, handled=False)


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.server._refusal(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.server._store(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=message,
                raw=raw,
            )
        )
        return "250 OK: queued"


# --- TLS ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(directory: Path) -> Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "smtp-cert.pem"
    key_path = directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    """A plain SMTP server on a free loopback port, stopped after the test."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_certificate(tmp_path_factory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def trust_certificate(monkeypatch, smtp_certificate):
    """Clients made during the test (ssl.create_default_context) trust the test server's
    certificate, as an operator's own CA is trusted with SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_certificate.cert))
    return smtp_certificate


@pytest.fixture
def smtp_tls_server(smtp_certificate):
    """A server that wants STARTTLS and then a login (USERNAME, PASSWORD)."""
    server = SmtpServer(
        starttls_context=smtp_certificate.server_context(), users={USERNAME: PASSWORD}
    ).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_ssl_server(smtp_certificate):
    """A server speaking TLS from the first byte (port 465 style), wanting a login."""
    server = SmtpServer(ssl_context=smtp_certificate.server_context(), users={USERNAME: PASSWORD})
    yield server.start()
    server.stop()
