"""Email over SMTP: the message as built for the wire, and the transport that hands it over.

Uses the standard library's ``email`` and ``smtplib`` (maintained with CPython; no extra
dependency). The error mapping decides what the queue does next: ``permanent`` (the
recipient or this message was refused: retrying cannot help) or temporary (the server is
down, busy, or misconfigured: retry with backoff, and the queue drains once it is fixed).
"""

import hashlib
import re
import smtplib
import socket
import ssl
from collections.abc import Iterable, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate

from campaign.messaging.transport import Outgoing, TransportError

DEFAULT_TIMEOUT = 10.0
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*\Z")
# What may stand inside <...> of List-Unsubscribe: a URL's characters, none of < > " space.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+\Z")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class _MailPolicy(EmailPolicy):
    """CRLF line ends; a header value holding CR or LF raises ValueError; bodies in 7 bit
    (quoted-printable or base64: no server needs 8BITMIME). List-Unsubscribe is never
    folded: Python writes a long unbreakable URL as RFC 2047 encoded words, which no mail
    client reads as a URL (the URL is checked to be printable ASCII)."""

    def fold(self, name, value):
        if name.lower() == "list-unsubscribe":
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if name.lower() == "list-unsubscribe":
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


POLICY = _MailPolicy(linesep="\r\n", cte_type="7bit")


def parse_address(value: str, *, what: str) -> Address:
    """One plain ``local@domain`` address (no display name, no list), the domain in ASCII
    (IDNA). ValueError with a message naming ``what`` otherwise."""
    if not isinstance(value, str) or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError(f"{what} is not an email address: it contains spaces or line breaks")
    try:
        address = Address(addr_spec=value)
    except Exception as error:  # the parser raises several kinds (defects, ValueError)
        raise ValueError(f"{what} is not a plain email address ({error})") from None
    if not address.username or not address.domain or not address.username.isascii():
        raise ValueError(f"{what} is not a plain ASCII email address")
    try:
        domain = address.domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{what} has a domain that cannot be written in ASCII") from None
    return Address(username=address.username, domain=domain)


def parse_sender(value: str) -> Address:
    """MAIL_DEFAULT_SENDER: ``noreply@example.org`` or ``Campaign <noreply@example.org>``."""
    match = re.fullmatch(r"\s*(.*?)\s*<([^<>]*)>\s*", value or "")
    name, spec = (match.group(1).strip('"'), match.group(2)) if match else ("", value)
    if any(c in name for c in "\r\n"):
        raise ValueError("MAIL_DEFAULT_SENDER has a line break in its name")
    address = parse_address(spec, what="MAIL_DEFAULT_SENDER")
    return Address(display_name=name, username=address.username, domain=address.domain)


def message_id(key: str, sender: Address) -> str:
    """The same message (same key, same sender) always gets the same Message-ID, so a
    receiver can drop a copy that a retry after a lost reply delivered twice."""
    digest = hashlib.sha256(f"{sender.addr_spec}\0{key}".encode()).hexdigest()[:40]
    return f"<{digest}@{sender.domain}>"


def one_line(text: str) -> str:
    """Header text on one line: every run of whitespace (CR, LF, tabs...) becomes a space."""
    return " ".join(text.split())


def build_email(message: Outgoing, sender: str) -> EmailMessage:
    """The email for ``message`` from ``sender``. Raises TransportError(permanent=True) when
    the recipient, sender or unsubscribe URL cannot be written into a header safely."""
    if message.channel != "email":
        raise TransportError(f"Not an email: a {message.channel} message", permanent=True)
    try:
        from_address = parse_sender(sender)
        to_address = parse_address(message.to, what="The recipient")
    except ValueError as error:
        raise TransportError(str(error), permanent=True) from None
    if message.unsubscribe_url is not None and not _URL.match(message.unsubscribe_url):
        raise TransportError("The unsubscribe URL is not a plain http(s) URL", permanent=True)

    email = EmailMessage(policy=POLICY)
    email["From"] = from_address
    email["To"] = to_address
    email["Subject"] = one_line(message.subject)
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(message.key, from_address)
    # set_content and add_alternative move Content-* headers: the content comes first.
    email.set_content(message.text, subtype="plain", charset="utf-8")
    if message.html is not None:
        email.add_alternative(message.html, subtype="html", charset="utf-8")
    if _LANGUAGE.match(message.language):
        email["Content-Language"] = message.language
    # RFC 3834: not a person writing; Outlook's variant stops its out-of-office replies.
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    if message.unsubscribe_url is not None:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    return email


def _flag(config: Mapping, name: str) -> bool:
    value = config.get(name, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _number(config: Mapping, name: str, default: float, kind: type = float):
    value = config.get(name)
    if value in (None, ""):
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"{name} must be more than 0")
    return number


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {one_line(text)}"


class SmtpTransport:
    """Hands email to an SMTP server (a relay or the provider's submission port).

    Config (a Flask config or any mapping): MAIL_SERVER, MAIL_PORT (default 465 with
    MAIL_USE_SSL, 587 with MAIL_USE_TLS, else 25), MAIL_USE_TLS (STARTTLS, required
    once asked for), MAIL_USE_SSL (TLS from the first byte), MAIL_USERNAME,
    MAIL_PASSWORD, MAIL_DEFAULT_SENDER, MAIL_TIMEOUT (seconds, default 10). The server's
    certificate is verified against the system's CAs (``SSL_CERT_FILE`` names others).
    Raises ValueError on a configuration that cannot work."""

    def __init__(self, config: Mapping):
        self.server = str(config.get("MAIL_SERVER") or "").strip()
        if not self.server:
            raise ValueError("MAIL_SERVER is not set")
        self.use_tls = _flag(config, "MAIL_USE_TLS")
        self.use_ssl = _flag(config, "MAIL_USE_SSL")
        if self.use_tls and self.use_ssl:
            raise ValueError("Set MAIL_USE_TLS (STARTTLS, port 587) or MAIL_USE_SSL (port 465)")
        default_port = 465 if self.use_ssl else 587 if self.use_tls else 25
        self.port = _number(config, "MAIL_PORT", default_port, int)
        self.timeout = _number(config, "MAIL_TIMEOUT", DEFAULT_TIMEOUT)
        self.username = str(config.get("MAIL_USERNAME") or "")
        self._password = str(config.get("MAIL_PASSWORD") or "")
        if self.username and not self._password:
            raise ValueError("MAIL_USERNAME is set but MAIL_PASSWORD is not")
        if self.username and not (self.use_tls or self.use_ssl) and self.server not in _LOOPBACK:
            raise ValueError(
                "MAIL_USERNAME needs MAIL_USE_TLS or MAIL_USE_SSL: the password would "
                "cross the network in clear"
            )
        self.sender = str(config.get("MAIL_DEFAULT_SENDER") or "")
        parse_sender(self.sender)  # ValueError now rather than on every message
        self._local_hostname: str | None = None

    def __repr__(self) -> str:
        return f"<SmtpTransport {self.username or '-'}@{self.server}:{self.port}>"

    def send(self, message: Outgoing) -> None:
        """Hand one message over on its own connection, or raise TransportError."""
        email = build_email(message, self.sender)
        connection = self._connect()
        try:
            self._deliver(connection, email)
        finally:
            self._close(connection)

    def send_many(self, messages: Iterable[Outgoing]) -> list[TransportError | None]:
        """Send several messages over one connection, in order; for each, None (handed
        over) or its TransportError. After a temporary error the connection is opened
        again for the next message; if it cannot be opened, the rest get that error."""
        results: list[TransportError | None] = []
        connection = None
        unreachable: TransportError | None = None
        try:
            for message in messages:
                if unreachable is not None:
                    results.append(unreachable)
                    continue
                try:
                    email = build_email(message, self.sender)
                    if connection is None:
                        try:
                            connection = self._connect()
                        except TransportError as error:
                            unreachable = error
                            raise
                    self._deliver(connection, email)
                    results.append(None)
                except TransportError as error:
                    results.append(error)
                    if not error.permanent and connection is not None:
                        self._close(connection)  # its state is unknown: start afresh
                        connection = None
        finally:
            if connection is not None:
                self._close(connection)
        return results

    # --- the conversation -------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        """An open, secured and logged-in connection, or TransportError."""
        if self._local_hostname is None:
            self._local_hostname = socket.getfqdn()  # can be slow: once per transport
        options = {"timeout": self.timeout, "local_hostname": self._local_hostname}
        try:
            if self.use_ssl:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.server, self.port, context=ssl.create_default_context(), **options
                )
            else:
                connection = smtplib.SMTP(self.server, self.port, **options)
        except Exception as error:
            raise self._mapped(error, sending=False) from None
        try:
            if self.use_tls:
                connection.starttls(context=ssl.create_default_context())
            if self.username:
                connection.login(self.username, self._password)
        except smtplib.SMTPAuthenticationError as error:
            self._close(connection)
            # The server's reply is left out: a careless server may echo what it was sent.
            # Temporary: the account, not the message, is wrong; once it is fixed the
            # queue drains by itself.
            raise TransportError(
                f"The SMTP server {self._where} refused the login of {self.username!r} "
                f"({error.smtp_code})"
            ) from None
        except Exception as error:
            self._close(connection)
            raise self._mapped(error, sending=False) from None
        return connection

    def _deliver(self, connection: smtplib.SMTP, email: EmailMessage) -> None:
        try:
            refused = connection.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise TransportError(
                f"The SMTP server refused the recipient: {_reply(code, text)}",
                permanent=not _temporary(code),
            ) from None
        except Exception as error:
            raise self._mapped(error, sending=True) from None
        if refused:  # only possible with several recipients; there is one
            code, text = next(iter(refused.values()))
            raise TransportError(_reply(code, text), permanent=not _temporary(code))

    @staticmethod
    def _close(connection: smtplib.SMTP) -> None:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    @property
    def _where(self) -> str:
        return f"{self.server}:{self.port}"

    def _mapped(self, error: Exception, *, sending: bool) -> TransportError:
        """What smtplib, ssl and socket raise, as a TransportError: permanent only when
        the server refused this message (5xx while sending); the rest is the server or
        the network, and a later try may succeed. Re-raises what is none of these."""
        permanent = False
        # smtplib reports a timeout while reading a reply as SMTPServerDisconnected.
        if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            reason = f"The SMTP server {self._where} did not answer within {self.timeout} s"
        elif isinstance(error, smtplib.SMTPNotSupportedError):
            permanent = sending  # an address needing SMTPUTF8 the server does not offer
            reason = f"The SMTP server {self._where} does not support it: {error}"
        elif isinstance(error, smtplib.SMTPServerDisconnected):
            reason = f"The SMTP server {self._where} closed the connection"
        elif isinstance(error, smtplib.SMTPResponseException):
            # 4xx: try later (greylisting, a full queue); 5xx: this message was refused.
            permanent = sending and not _temporary(error.smtp_code)
            reason = f"The SMTP server {self._where} answered " + _reply(
                error.smtp_code, error.smtp_error
            )
        elif isinstance(error, ssl.SSLError | ssl.CertificateError):
            reason = f"TLS with the SMTP server {self._where} failed: {error}"
        elif isinstance(error, OSError | smtplib.SMTPException):
            reason = f"Cannot reach the SMTP server {self._where}: {error}"
        else:
            raise error
        if self._password:
            reason = reason.replace(self._password, "***")
        return TransportError(reason, permanent=permanent)
