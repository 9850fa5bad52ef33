"""SMS out through Kannel's HTTP ``sendsms`` interface (smsbox), which reaches a real SMSC
by SMPP or a GSM modem.

Text goes as UTF-8 (``charset=UTF-8``). Kannel sends it in the GSM 7-bit alphabet
(``coding=0``, 160 characters a part) unless told otherwise, and replaces every character
that alphabet lacks with "?": Persian and Urdu would arrive as question marks. So a text
with any such character goes as UCS-2 (``coding=2``, 70 characters a part). A longer text
is split into concatenated parts by Kannel when its ``sendsms-user`` allows it
(``max-messages`` above 1, ``concatenation = true``); otherwise Kannel cuts it to one part.
"""

import http.client
import logging
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from campaign.messaging.transport import Outgoing, TransportError

log = logging.getLogger("campaign.messages")

#: The GSM 03.38 default alphabet and its extension table (ESC + one character). Only
#: characters Kannel also reads from its internal charset (windows-1252) count: Kannel
#: turns a Greek capital into "?" even in 7-bit, so those go as UCS-2 too.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€"
_SEVEN_BIT = frozenset(
    ch for ch in GSM_BASIC + GSM_EXTENSION if ch.encode("cp1252", errors="ignore")
)

#: Kannel's answers that mean "taken": "0: Accepted for delivery", "3: Queued for later
#: delivery" (the SMSC is down for now: Kannel keeps it and sends it later).
_ACCEPTED = ("0:", "3:")
#: One number in E.164. Kannel reads spaces in ``to`` as a list of receivers: "+44 7911
#: 123456" would go to "+44", "7911" and "123456".
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
#: HTTP statuses a retry can help with, though below 500.
_TEMPORARY_4XX = frozenset({408, 425, 429})


def needs_unicode(text: str) -> bool:
    """Whether ``text`` has a character the GSM 7-bit alphabet (as Kannel converts to it)
    lacks, so it must go as UCS-2 (``coding=2``)."""
    return any(ch not in _SEVEN_BIT for ch in text)


def kannel_coding(text: str) -> str:
    """Kannel's ``coding`` for ``text``: "0" (GSM 7-bit) or "2" (UCS-2)."""
    return "2" if needs_unicode(text) else "0"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the gateway password to wherever it points: refused."""

    def redirect_request(self, *args, **kwargs):
        return None


class KannelTransport:
    """Hands each SMS to Kannel's ``sendsms`` URL (``SMS_GATEWAY_URL``), authenticated as a
    ``sendsms-user`` (``SMS_GATEWAY_USERNAME``/``SMS_GATEWAY_PASSWORD``), sent from
    ``SMS_SENDER`` (a number or a short alphanumeric name; unset: Kannel's default).

    Refusals (bad number, wrong password, a misconfigured URL) raise a permanent
    TransportError; an unreachable, slow or failing gateway a temporary one. The password
    travels in the query string, as Kannel wants it, but never appears in an error or a
    log line."""

    def __init__(self, config: Mapping, *, timeout: float = 10.0):
        url = str(config.get("SMS_GATEWAY_URL") or "")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("SMS_GATEWAY_URL must be Kannel's http(s) sendsms URL")
        self.url = url
        self.username = str(config.get("SMS_GATEWAY_USERNAME") or "")
        self.password = str(config.get("SMS_GATEWAY_PASSWORD") or "")
        self.sender = str(config.get("SMS_SENDER") or "")
        self.timeout = timeout
        #: The URL without query or credentials, for messages and logs.
        port = f":{parts.port}" if parts.port else ""
        self.where = f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
        self._opener = urllib.request.build_opener(_NoRedirects)

    def request_url(self, message: Outgoing) -> str:
        """The sendsms GET URL for ``message`` (it carries the password: never log it)."""
        params = {
            "username": self.username,
            "password": self.password,
            "to": message.to,
            "text": message.text,
            "charset": "UTF-8",
            "coding": kannel_coding(message.text),
        }
        if self.sender:
            params["from"] = self.sender
        separator = "&" if urllib.parse.urlsplit(self.url).query else "?"
        return self.url + separator + urllib.parse.urlencode(params)

    def send(self, message: Outgoing) -> None:
        if message.channel != "sms":
            raise TransportError(f"not an SMS: {message.channel}", permanent=True)
        if not _E164.fullmatch(message.to or ""):
            raise TransportError("an SMS goes to one number in E.164", permanent=True)
        if not message.text:
            raise TransportError("an SMS needs a text", permanent=True)
        request = urllib.request.Request(self.request_url(message))  # noqa: S310 (http(s) checked)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, _read(response)
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            status, body = error.code, _read(error)
        except (OSError, http.client.HTTPException) as error:
            # Refused, reset, unreachable, timed out, a broken answer: try again later.
            raise TransportError(
                self._clean(f"gateway {self.where} unreachable: {_why(error)}")
            ) from None
        if 200 <= status < 300 and body.startswith(_ACCEPTED):
            log.info("sms %s handed to Kannel: %s", message.key, body[:40])
            return
        reason = self._clean(f"gateway {self.where} answered {status}: {body[:120]}")
        if 200 <= status < 300 or status >= 500 or status in _TEMPORARY_4XX:
            raise TransportError(reason)
        # 3xx: a wrong URL; 4xx: wrong password, bad or barred number, missing sender.
        raise TransportError(reason, permanent=True)

    def _clean(self, text: str) -> str:
        """Never the password, even if something echoed it."""
        for secret in {self.password, urllib.parse.quote_plus(self.password)}:
            if secret:
                text = text.replace(secret, "***")
        return text


def _read(response) -> str:
    try:
        return response.read(2000).decode("utf-8", errors="replace").strip()
    except (OSError, http.client.HTTPException):
        return ""


def _why(error: BaseException) -> str:
    reason = getattr(error, "reason", None)  # URLError wraps the socket error
    if isinstance(reason, BaseException):
        error = reason
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return type(error).__name__
