"""What every transport is given and what it may raise; the console transport."""

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("campaign.messages")


@dataclass(frozen=True)
class Outgoing:
    """One message, rendered in its recipient's language, ready to hand to a transport."""

    #: Unique per message ("ready:12:3"): the email Message-ID and the SMS's dedupe key.
    key: str
    #: "email" or "sms".
    channel: str
    #: An email address, or a phone number in E.164.
    to: str
    #: The text: the SMS body, or the email's plain-text part.
    text: str
    #: Email only.
    subject: str = ""
    #: Email only: an HTML alternative to ``text`` (optional).
    html: str | None = None
    #: BCP 47 code of the text's language (Content-Language of an email).
    language: str = "en"
    #: Email only: the https URL behind List-Unsubscribe, which also accepts the one-click
    #: POST of RFC 8058. None: no unsubscribe headers (a verification code, say).
    unsubscribe_url: str | None = None


class TransportError(Exception):
    """A message could not be handed over. ``permanent``: retrying cannot help (a refused
    address); otherwise the delivery is retried with backoff."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    def send(self, message: Outgoing) -> None:
        """Hand the message over, or raise TransportError."""


class ConsoleTransport:
    """No gateway configured: the message goes to the server's log, so a newcomer can try
    verification locally (``make run``). Refused in production unless allowed."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)
        log.warning(
            "console %s to %s (%s):\n%s%s",
            message.channel,
            message.to,
            message.key,
            f"Subject: {message.subject}\n" if message.subject else "",
            message.text,
        )
