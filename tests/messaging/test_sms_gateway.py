"""SMS both ways through a real Kannel (bearerbox, smsbox, fakesmsc playing the phones):
KannelTransport's texts arrive intact, its failures are told apart; an SMS a phone sends
reaches the app, and the app's answer comes back to the phone as the reply."""

import http.server
import socket
import threading
import time

import pytest

from campaign.messaging import sms_inbound
from campaign.messaging.sms import KannelTransport, needs_unicode
from campaign.messaging.transport import Outgoing, TransportError
from tests.helpers import free_port
from tests.kannel import SHORT_CODE, Sms

pytestmark = pytest.mark.xdist_group("kannel")

PHONE = "+447911123456"
OTHER = "+447911123457"
THIRD = "+989121234567"
PERSIAN = "گروه شما آماده است. پیوند خود را باز کنید: https://example.org/me/۱۲۳ — سپاس!"
URDU = "آپ کا گروپ تیار ہے۔ گھر پہنچ کر SAFE لکھیں۔"


def sms(text: str, to: str = PHONE, key: str = "test:1") -> Outgoing:
    return Outgoing(key=key, channel="sms", to=to, text=text)


def sent_now(gateway, *texts: str, to: str = PHONE) -> list[Sms]:
    """Send ``texts`` to ``to`` through KannelTransport; the SMS that phone got for them
    (each test sends to a number of its own)."""
    before = len([got for got in gateway.received() if got.receiver == to])
    transport = KannelTransport(gateway.transport_config())
    for n, text in enumerate(texts):
        transport.send(sms(text, to=to, key=f"test:{n}"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = [sms for sms in gateway.received() if sms.receiver == to][before:]
        if len(got) >= len(texts):
            return got
        time.sleep(0.05)
    raise AssertionError(f"{len(texts)} SMS to {to} expected, got {gateway.received()}")


# --- out -----------------------------------------------------------------------------------


def test_ascii_persian_and_urdu_texts_arrive_intact(kannel_gateway):
    ascii_text = "Your group is ready. Code 123456 [ok] ~ 50% {x} \\ | ^ €"
    assert not needs_unicode(ascii_text) and needs_unicode(PERSIAN) and needs_unicode(URDU)
    got = sent_now(kannel_gateway, ascii_text, PERSIAN, URDU)
    assert got == [
        Sms(SHORT_CODE, PHONE, ascii_text),
        Sms(SHORT_CODE, PHONE, PERSIAN),  # 77 characters: two UCS-2 parts, joined again
        Sms(SHORT_CODE, PHONE, URDU),
    ]


def test_a_character_gsm_lacks_sends_the_whole_text_as_ucs2(kannel_gateway):
    text = "Meet at `the gate` at 14:00"  # a backtick: "?" in GSM 7-bit
    assert needs_unicode(text)
    assert sent_now(kannel_gateway, text, to=OTHER) == [Sms(SHORT_CODE, OTHER, text)]


def test_a_long_english_text_arrives_whole(kannel_gateway):
    text = " ".join(f"word{n}" for n in range(60))  # 349 characters: three parts
    assert sent_now(kannel_gateway, text, to=THIRD) == [Sms(SHORT_CODE, THIRD, text)]


def test_a_wrong_password_is_permanent_and_never_shown(kannel_gateway):
    password = "wrong-pass-" + kannel_gateway.password
    config = kannel_gateway.transport_config(SMS_GATEWAY_PASSWORD=password)
    with pytest.raises(TransportError) as refused:
        KannelTransport(config).send(sms("Hello"))
    assert refused.value.permanent
    assert "403" in refused.value.reason and "Authorization failed" in refused.value.reason
    assert password not in str(refused.value) and kannel_gateway.password not in str(refused.value)


def test_a_request_kannel_refuses_is_permanent(kannel_gateway):
    config = kannel_gateway.transport_config(SMS_SENDER="")  # and Kannel has no default
    with pytest.raises(TransportError) as refused:
        KannelTransport(config).send(sms("Hello"))
    assert refused.value.permanent and "400" in refused.value.reason
    assert "Sender missing" in refused.value.reason


@pytest.mark.parametrize("to", ["", "not-a-number", "+44 7911 123456", "07911123456"])
def test_only_one_number_in_e164_is_sent_to(kannel_gateway, to):
    """Kannel reads "+44 7911 123456" as three receivers: such a number never reaches it."""
    with pytest.raises(TransportError) as refused:
        KannelTransport(kannel_gateway.transport_config()).send(sms("Hello", to=to))
    assert refused.value.permanent and "E.164" in refused.value.reason


def test_a_gateway_that_is_down_is_temporary():
    port = free_port()  # nobody listens
    config = {
        "SMS_GATEWAY_URL": f"http://127.0.0.1:{port}/cgi-bin/sendsms",
        "SMS_GATEWAY_USERNAME": "app",
        "SMS_GATEWAY_PASSWORD": "s3cret-password",
    }
    with pytest.raises(TransportError) as failed:
        KannelTransport(config).send(sms("Hello"))
    assert not failed.value.permanent
    assert "connection refused" in failed.value.reason
    assert "s3cret-password" not in str(failed.value)


def test_a_gateway_that_does_not_answer_times_out_as_temporary():
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        config = {"SMS_GATEWAY_URL": f"http://127.0.0.1:{silent.getsockname()[1]}/sendsms"}
        with pytest.raises(TransportError) as failed:
            KannelTransport(config, timeout=0.5).send(sms("Hello"))
    assert not failed.value.permanent and "timed out" in failed.value.reason


class _Answer(http.server.BaseHTTPRequestHandler):
    status, body, headers_to_send = 503, b"Sending failed.", {}

    def do_GET(self):
        self.send_response(self.status)
        for name, value in self.headers_to_send.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def answering():
    """A stand-in gateway answering ``status`` and ``body``: what Kannel answers when its
    bearerbox is gone (5xx), or a proxy in front of it (a redirect)."""

    def serve(status: int, body: bytes, headers: dict | None = None) -> str:
        handler = type(
            "Handler",
            (_Answer,),
            {"status": status, "body": body, "headers_to_send": headers or {}},
        )
        server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/cgi-bin/sendsms"

    servers: list = []
    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_5xx_is_temporary_and_a_redirect_is_not_followed(answering):
    with pytest.raises(TransportError) as failed:
        KannelTransport({"SMS_GATEWAY_URL": answering(503, b"Sending failed.")}).send(sms("Hi"))
    assert not failed.value.permanent and "503" in failed.value.reason

    elsewhere = answering(202, b"0: Accepted for delivery")
    url = answering(302, b"", {"Location": elsewhere})
    config = {"SMS_GATEWAY_URL": url, "SMS_GATEWAY_PASSWORD": "pw-not-for-others"}
    with pytest.raises(TransportError) as refused:
        KannelTransport(config).send(sms("Hi"))
    assert refused.value.permanent and "302" in refused.value.reason
    assert "pw-not-for-others" not in str(refused.value)


def test_queued_for_later_counts_as_handed_over(answering):
    url = answering(202, b"3: Queued for later delivery")
    KannelTransport({"SMS_GATEWAY_URL": url}).send(sms("Hi"))  # no error


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://example.org/sendsms"])
def test_only_an_http_gateway_url_is_taken(url):
    with pytest.raises(ValueError, match="SMS_GATEWAY_URL"):
        KannelTransport({"SMS_GATEWAY_URL": url})


# --- in --------------------------------------------------------------------------------


def english(key: str) -> str:
    return str(sms_inbound.REPLIES[key])


def test_help_from_a_phone_gets_the_help_text_back(kannel):
    assert kannel.phone_sends(PHONE, "help") == [Sms(SHORT_CODE, PHONE, english("help"))]


def test_garbage_gets_the_short_help_reply(kannel):
    replies = kannel.phone_sends(PHONE, "what is this %&<script>")
    assert replies == [Sms(SHORT_CODE, PHONE, english("unknown"))]


def test_persian_in_and_out_with_the_senders_number_in_e164(kannel, monkeypatch):
    seen = []

    def safe(phone, command):
        seen.append((phone, command))
        return "سپاس، خوشحالیم که سالم رسیدید. " + phone

    monkeypatch.setitem(sms_inbound.HANDLERS, "SAFE", safe)
    replies = kannel.phone_sends("447911123456", "سالم")  # the network left out the +
    assert seen == [(PHONE, sms_inbound.Command("SAFE", (), "fa"))]
    assert replies == [Sms(SHORT_CODE, "447911123456", "سپاس، خوشحالیم که سالم رسیدید. " + PHONE)]


def test_a_failing_action_answers_with_help_not_an_error(kannel, caplog, monkeypatch):
    def broken(_phone, _command):
        raise RuntimeError("a bug")

    monkeypatch.setitem(sms_inbound.HANDLERS, "JOIN", broken)
    replies = kannel.phone_sends(PHONE, "JOIN ABCD-EFGH Sara")
    assert replies == [Sms(SHORT_CODE, PHONE, english("help"))]
    assert "the JOIN handler failed" in caplog.text


def test_an_empty_answer_sends_no_sms(kannel, monkeypatch):
    called = threading.Event()

    def quiet(_phone, _command):
        called.set()
        return ""

    monkeypatch.setitem(sms_inbound.HANDLERS, "STOP", quiet)
    assert kannel.phone_sends(PHONE, "STOP", replies=0, timeout=1.5) == []
    assert called.is_set()
