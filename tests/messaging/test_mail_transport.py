"""SmtpTransport against a real SMTP server (aiosmtpd on a loopback port): what arrives,
with which headers, and which failures are permanent (never retried) or temporary."""

import socket
import threading
import time
import traceback
from dataclasses import replace

import pytest

from campaign.messaging.mail import SmtpTransport, build_email
from campaign.messaging.transport import Outgoing, TransportError
from tests.helpers import free_port
from tests.smtp_server import PASSWORD, SENDER, USERNAME

PERSIAN = Outgoing(
    key="ready:12:3",
    channel="email",
    to="maryam@example.org",
    subject="گروه شما آماده است",
    text="سلام مریم،\nگروه سه‌نفره‌ی شما آماده است.\nپیوند شما: https://campaign.test/m/abc\n",
    language="fa",
    unsubscribe_url="https://campaign.test/unsubscribe/tok3n",
)
URDU = replace(
    PERSIAN,
    key="ready:12:4",
    subject="آپ کا گروپ تیار ہے",
    text="السلام علیکم،\nآپ کا تین افراد کا گروپ تیار ہے۔\n",
    language="ur",
)


def plain_text(received) -> str:
    """The plain part as a mail client shows it (on the wire, text lines end in CRLF)."""
    part = received.message.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n")


@pytest.mark.parametrize("outgoing", [PERSIAN, URDU], ids=["fa", "ur"])
def test_a_persian_or_urdu_message_arrives_intact(smtp_server, outgoing):
    SmtpTransport(smtp_server.config()).send(outgoing)

    received = smtp_server.wait_for()
    assert received.mail_from == "noreply@campaign.test"
    assert received.rcpt_tos == (outgoing.to,)
    assert received.message.get_content_type() == "text/plain"
    assert plain_text(received) == outgoing.text
    assert received.message["Subject"] == outgoing.subject
    assert received.message["Content-Language"] == outgoing.language
    assert received.message["To"] == outgoing.to
    assert received.message["From"] == SENDER
    # Seven bit on the wire: no server needs 8BITMIME.
    assert received.raw.isascii()


def test_the_html_part_is_an_alternative_to_the_plain_text(smtp_server):
    html = "<p>سلام مریم، گروه شما <strong>آماده</strong> است.</p>"
    SmtpTransport(smtp_server.config()).send(replace(PERSIAN, html=html))

    received = smtp_server.wait_for()
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert plain_text(received) == PERSIAN.text
    assert message.get_body(preferencelist=("html",)).get_content().strip() == html
    assert message["Content-Language"] == "fa"


def test_one_click_unsubscribe_headers_only_with_an_unsubscribe_url(smtp_server):
    transport = SmtpTransport(smtp_server.config())
    long_url = "https://campaign.test/unsubscribe/" + "x" * 150
    transport.send(replace(PERSIAN, unsubscribe_url=long_url))
    transport.send(replace(PERSIAN, key="code:5:1", unsubscribe_url=None))

    with_url, without = (r.message for r in smtp_server.received)
    # Not folded nor encoded, however long: clients must read a URL.
    assert with_url["List-Unsubscribe"] == f"<{long_url}>"
    assert f"List-Unsubscribe: <{long_url}>\r\n".encode() in smtp_server.received[0].raw
    assert with_url["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe" not in without
    assert "List-Unsubscribe-Post" not in without
    for message in (with_url, without):
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Date"].datetime.tzinfo is not None


def test_the_message_id_is_the_same_for_a_resend_of_the_same_message(smtp_server):
    transport = SmtpTransport(smtp_server.config())
    transport.send(PERSIAN)
    transport.send(PERSIAN)
    transport.send(replace(PERSIAN, key="ready:12:5"))

    first, resent, other = (r.message["Message-ID"] for r in smtp_server.received)
    assert first == resent
    assert other != first
    assert first.startswith("<") and first.endswith("@campaign.test>")
    assert "ready" not in first  # the key (member and kind) is not shown to receivers


def test_a_refused_recipient_is_a_permanent_failure(smtp_server):
    smtp_server.refuse("550 5.1.1 No such user", address=PERSIAN.to)

    with pytest.raises(TransportError) as refused:
        SmtpTransport(smtp_server.config()).send(PERSIAN)

    assert refused.value.permanent
    assert "550" in refused.value.reason
    assert smtp_server.received == []


def test_a_temporarily_refused_recipient_is_retried_later(smtp_server):
    smtp_server.refuse("451 4.7.1 Greylisted, try again later")

    with pytest.raises(TransportError) as refused:
        SmtpTransport(smtp_server.config()).send(PERSIAN)

    assert not refused.value.permanent
    assert "451" in refused.value.reason
    assert smtp_server.received == []


def test_a_server_that_is_down_is_a_temporary_failure():
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port()}
    transport = SmtpTransport({**config, "MAIL_DEFAULT_SENDER": SENDER})

    with pytest.raises(TransportError) as down:
        transport.send(PERSIAN)

    assert not down.value.permanent
    assert "Cannot reach the SMTP server" in down.value.reason


class SilentServer:
    """Accepts connections and then says nothing, or (``hang_up``) closes them at once."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.listener.getsockname()[1]
        self.hang_up = False
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)
            if self.hang_up:
                connection.close()

    def close(self):
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def test_a_server_that_does_not_answer_times_out_as_a_temporary_failure(silent_server):
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": silent_server.port}
    transport = SmtpTransport({**config, "MAIL_DEFAULT_SENDER": SENDER, "MAIL_TIMEOUT": 0.5})

    started = time.monotonic()
    with pytest.raises(TransportError) as timed_out:
        transport.send(PERSIAN)

    assert time.monotonic() - started < 5
    assert not timed_out.value.permanent
    assert "did not answer within 0.5 s" in timed_out.value.reason


def test_a_server_that_hangs_up_is_a_temporary_failure(silent_server):
    silent_server.hang_up = True
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": silent_server.port}

    with pytest.raises(TransportError) as hung_up:
        SmtpTransport({**config, "MAIL_DEFAULT_SENDER": SENDER}).send(PERSIAN)

    assert not hung_up.value.permanent
    assert "closed the connection" in hung_up.value.reason


def test_a_line_break_in_the_subject_cannot_add_a_header(smtp_server):
    injected = replace(PERSIAN, subject="Ready\r\nBcc: victim@example.net\r\n\r\nforged body")
    SmtpTransport(smtp_server.config()).send(injected)

    received = smtp_server.wait_for()
    assert received.rcpt_tos == (PERSIAN.to,)
    assert "Bcc" not in received.message
    assert received.message["Subject"] == "Ready Bcc: victim@example.net forged body"
    assert plain_text(received) == PERSIAN.text


@pytest.mark.parametrize(
    "to",
    [
        "maryam@example.org\r\nBcc: victim@example.net",
        "maryam@example.org\nRCPT TO:<victim@example.net>",
        "maryam@example.org, victim@example.net",
        "Maryam <maryam@example.org>",
        "not an address",
    ],
)
def test_a_recipient_that_is_not_one_plain_address_is_refused_before_connecting(to):
    # No server at all: a refusal must come before any connection.
    transport = SmtpTransport(
        {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port()} | {"MAIL_DEFAULT_SENDER": SENDER}
    )

    with pytest.raises(TransportError) as refused:
        transport.send(replace(PERSIAN, to=to))

    assert refused.value.permanent
    assert "address" in refused.value.reason


def test_an_unsubscribe_url_that_could_break_the_header_is_refused():
    with pytest.raises(TransportError) as refused:
        build_email(replace(PERSIAN, unsubscribe_url="https://x.test/u>\r\nBcc: a@b.c"), SENDER)
    assert refused.value.permanent


def test_a_non_ascii_domain_is_sent_in_its_ascii_form(smtp_server):
    SmtpTransport(smtp_server.config()).send(replace(PERSIAN, to="maryam@مثال.ایران"))

    received = smtp_server.wait_for()
    assert received.rcpt_tos == ("maryam@xn--mgbh0fb.xn--mgba3a4f16a",)


# --- STARTTLS, implicit TLS and the login --------------------------------------------------


def test_starttls_and_login_deliver(smtp_tls_server, trust_certificate):
    config = smtp_tls_server.config(
        MAIL_SERVER="localhost", MAIL_USE_TLS=True, MAIL_USERNAME=USERNAME, MAIL_PASSWORD=PASSWORD
    )
    SmtpTransport(config).send(PERSIAN)

    assert plain_text(smtp_tls_server.wait_for()) == PERSIAN.text
    assert smtp_tls_server.logins == [USERNAME]


# aiosmtpd cannot tell that an implicit-TLS session is secure, and warns about AUTH on it.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_login_deliver(smtp_ssl_server, trust_certificate):
    config = smtp_ssl_server.config(
        MAIL_USE_SSL="true", MAIL_USERNAME=USERNAME, MAIL_PASSWORD=PASSWORD
    )
    SmtpTransport(config).send(PERSIAN)

    assert plain_text(smtp_ssl_server.wait_for()) == PERSIAN.text


def test_the_password_never_shows_in_an_error(smtp_tls_server, trust_certificate):
    wrong = PASSWORD + "-old"
    config = smtp_tls_server.config(MAIL_USE_TLS="1", MAIL_USERNAME=USERNAME, MAIL_PASSWORD=wrong)
    transport = SmtpTransport(config)

    with pytest.raises(TransportError) as refused:
        transport.send(PERSIAN)

    # The account is wrong, not the message: once fixed, the queue drains by itself.
    assert not refused.value.permanent
    assert "refused the login of 'campaign'" in refused.value.reason
    shown = "".join(traceback.format_exception(refused.value)) + repr(transport)
    assert wrong not in shown
    assert smtp_tls_server.received == []


def test_a_certificate_that_is_not_trusted_is_a_temporary_failure(smtp_tls_server):
    config = smtp_tls_server.config(
        MAIL_USE_TLS=True, MAIL_USERNAME=USERNAME, MAIL_PASSWORD=PASSWORD
    )

    with pytest.raises(TransportError) as untrusted:
        SmtpTransport(config).send(PERSIAN)

    assert not untrusted.value.permanent
    assert "TLS" in untrusted.value.reason
    assert smtp_tls_server.logins == []


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(smtp_server):
    with pytest.raises(TransportError) as plain:
        SmtpTransport(smtp_server.config(MAIL_USE_TLS=True)).send(PERSIAN)

    assert not plain.value.permanent
    assert "STARTTLS" in plain.value.reason
    assert smtp_server.received == []


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "MAIL_SERVER is not set"),
        ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "MAIL_USE_TLS"),
        ({"MAIL_USE_TLS": "maybe"}, "MAIL_USE_TLS must be true or false"),
        ({"MAIL_PORT": "smtp"}, "MAIL_PORT must be a number"),
        ({"MAIL_TIMEOUT": "0"}, "MAIL_TIMEOUT must be more than 0"),
        ({"MAIL_USERNAME": "campaign"}, "MAIL_PASSWORD is not"),
        (
            {"MAIL_SERVER": "smtp.example.org", "MAIL_USERNAME": "u", "MAIL_PASSWORD": "p"},
            "in clear",
        ),
        ({"MAIL_DEFAULT_SENDER": ""}, "MAIL_DEFAULT_SENDER"),
        ({"MAIL_DEFAULT_SENDER": "Campaign\r\nBcc: x@y.z <a@b.c>"}, "MAIL_DEFAULT_SENDER"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_at_start(config, message):
    defaults = {"MAIL_DEFAULT_SENDER": SENDER}
    if config:
        defaults["MAIL_SERVER"] = "localhost"
    with pytest.raises(ValueError, match=message):
        SmtpTransport(defaults | config)


def test_the_port_follows_the_kind_of_tls():
    base = {"MAIL_SERVER": "smtp.example.org", "MAIL_DEFAULT_SENDER": SENDER}
    assert SmtpTransport(base).port == 25
    assert SmtpTransport(base | {"MAIL_USE_TLS": "true"}).port == 587
    assert SmtpTransport(base | {"MAIL_USE_SSL": "true"}).port == 465
    assert SmtpTransport(base | {"MAIL_PORT": "2525"}).port == 2525


# --- several messages on one connection --------------------------------------------------


def test_send_many_reports_each_message_and_goes_on_after_a_refusal(smtp_server):
    smtp_server.refuse("550 5.1.1 No such user", address="gone@example.org")
    messages = [
        replace(PERSIAN, key="a", to="one@example.org"),
        replace(PERSIAN, key="b", to="gone@example.org"),
        replace(PERSIAN, key="c", to="two@example.org"),
    ]

    results = SmtpTransport(smtp_server.config()).send_many(messages)

    assert results[0] is None and results[2] is None
    assert results[1] is not None and results[1].permanent
    assert [r.rcpt_tos for r in smtp_server.received] == [
        ("one@example.org",),
        ("two@example.org",),
    ]


def test_send_many_to_a_server_that_is_down_fails_each_message_temporarily():
    transport = SmtpTransport(
        {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_DEFAULT_SENDER": SENDER}
    )

    results = transport.send_many([PERSIAN, replace(PERSIAN, key="other")])

    assert len(results) == 2
    assert all(error is not None and not error.permanent for error in results)
